import FabricCore
import FabricNATS
import Logging

/// The connection of a one-shot command (`fabric dlq …`): no topology changes, no
/// reconnect loop, and a clear error when NATS cannot be reached.
struct ToolConnection {
    let config: FabricConfig
    let connection: NATSConnection
    let jetStream: JetStream

    static func open(_ global: ToolOptions, role: String) async throws -> ToolConnection {
        let config = try global.loadConfig()
        var options = NATSOptions(config: config.nats, role: role)
        options.maxReconnectAttempts = 0
        let urls = config.nats.urls.joined(separator: ",")
        var logger = Logger(label: "fabric.\(role)")
        logger.logLevel = .critical
        do {
            let connection = try await NATSConnection.connect(options, logger: logger)
            return ToolConnection(config: config, connection: connection, jetStream: try JetStream(connection))
        } catch {
            throw ValidationFailure(message: "cannot reach NATS at \(urls): \(error.message)")
        }
    }

    func close() { connection.close() }
}
