import FabricAuth
import FabricConformance
import FabricCore
import FabricNATS
import FabricObservability
import FabricTestSupport
import FabricWebSocket
import Logging
import ServiceLifecycle

/// A WebSocket adapter on a free loopback port with its own NATS connection, built for a
/// test (not yet running).
struct WSTestAdapter: Sendable {
    let adapter: WebSocketAdapter
    let connection: NATSConnection
    let url: URLBox

    static let logger: Logger = {
        var logger = Logger(label: "ws-test")
        logger.logLevel = .warning
        return logger
    }()

    /// Builds an adapter against `natsURL`; `yaml` goes inside the `ws:` section.
    static func make(
        natsURL: String, auth: AuthConfig, yaml: String = "", name: String = "ws-adapter", withConfigBucket: Bool = true
    ) async throws -> WSTestAdapter {
        let indented = yaml.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        let text = """
            ws:
              host: 127.0.0.1
              port: 0
              forward_headers: [\(ConformanceEnvironment.forwardedHeader)]
            \(indented)
            """
        let config = try FabricConfig(reader: ConfigReader.parse(yaml: text)).ws
        let connection = try await NATSConnection.connect(
            NATSOptions(urls: [natsURL], name: name, reconnectWait: .milliseconds(50)), logger: logger)
        let verifier = try await TokenVerifier.load(config: auth, logger: logger)
        var bucket: KeyValue?
        if withConfigBucket {
            let jetStream = try JetStream(connection)
            bucket = try await jetStream.ensureKeyValue(FabricTopology(config: FabricConfig.defaults.jetstream).configBucket)
        }
        let url = URLBox()
        let adapter = try WebSocketAdapter(
            config: config, connection: connection, verifier: verifier, configBucket: bucket, readiness: Readiness(),
            instance: name, logger: logger, leeway: auth.leeway, onListening: { url.set($0) })
        return WSTestAdapter(adapter: adapter, connection: connection, url: url)
    }

    /// Runs the adapter while `body` runs, then shuts it down gracefully.
    func run<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        defer { connection.close() }
        return try await withServices([adapter], logger: WSTestAdapter.logger) {
            _ = try await url.get()
            return try await body()
        }
    }

    /// `ws://…/v1/ws` with `query`.
    func endpoint(_ query: String = "") async throws -> String {
        try await url.get() + "/v1/ws" + (query.isEmpty ? "" : "?\(query)")
    }
}
