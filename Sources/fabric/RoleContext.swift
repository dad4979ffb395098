import FabricCore
import FabricNATS
import FabricObservability
import Logging
import ServiceLifecycle
import UnixSignals

/// What every long-running role needs: a NATS connection, JetStream with the fabric's
/// streams and buckets ensured, and a way to run its services beside the admin listener.
struct RoleContext {
    let runtime: Runtime
    let connection: NATSConnection
    let jetStream: JetStream
    /// The connection's check in `/readyz`: `nats`, or `nats-<role>` for a sibling.
    var check = "nats"

    var config: FabricConfig { runtime.config }
    var logger: Logger { runtime.logger }

    /// Connects as `role` (to `urls`, or the configured ones) and ensures the topology.
    /// `batchWhenBusy` only for a connection no role acknowledges JetStream messages on
    /// (`NATSOptions.batchWhenBusy`).
    static func connect(
        _ runtime: Runtime, role: String, urls: [String]? = nil, batchWhenBusy: Bool = false
    ) async throws -> RoleContext {
        var natsConfig = runtime.config.nats
        if let urls { natsConfig.urls = urls }
        do {
            var options = NATSOptions(config: natsConfig, role: role)
            options.batchWhenBusy = batchWhenBusy
            let connection = try await NATSConnection.connect(options, logger: runtime.logger)
            let jetStream = try JetStream(connection)
            for warning in try await FabricTopology(config: runtime.config.jetstream).ensure(on: jetStream) {
                runtime.logger.warning("\(warning)")
            }
            runtime.readiness.register("nats")
            runtime.readiness.ready("nats")
            return RoleContext(runtime: runtime, connection: connection, jetStream: jetStream)
        } catch {
            throw ValidationFailure(message: "cannot use NATS at \(natsConfig.urls.joined(separator: ",")): \(error)")
        }
    }

    /// The same role's settings on a connection of its own (the topology is already
    /// ensured): in `fabric up`, roles on separate connections read in parallel instead of
    /// sharing one nats.c reader thread. The caller closes it.
    func sibling(role: String, batchWhenBusy: Bool = false) async throws -> RoleContext {
        var options = connection.options
        options.name = "\(runtime.config.nats.name)-\(role)"
        options.batchWhenBusy = batchWhenBusy
        let connection = try await NATSConnection.connect(options, logger: runtime.logger)
        let check = "nats-\(role)"
        runtime.readiness.register(check)
        runtime.readiness.ready(check)
        return RoleContext(runtime: runtime, connection: connection, jetStream: try JetStream(connection), check: check)
    }

    /// The `fabric-config` bucket.
    func configBucket() async throws -> KeyValue {
        try await jetStream.ensureKeyValue(FabricTopology(config: config.jetstream).configBucket)
    }

    /// Runs `services` with the connection monitor and the admin listener until SIGTERM or
    /// SIGINT, then shuts them down in reverse order; `first` services stop last.
    /// `adminRoutes` adds the roles' control API to the admin listener.
    /// `siblings`' connections are watched and drained as this one is, before it.
    func run(
        first: [any Service] = [], _ services: [any Service], adminRoutes: AdminServer.Routes? = nil,
        siblings: [RoleContext] = []
    ) async throws {
        let admin = config.admin
        if let problem = PortCheck.inUse(host: admin.host, port: admin.port) {
            throw ValidationFailure(message: "admin \(problem); choose another with --admin-port")
        }
        let all: [any Service] =
            first + [NATSMonitor(connection: connection, readiness: runtime.readiness)]
            + siblings.map { NATSMonitor(connection: $0.connection, readiness: runtime.readiness, name: $0.check) }
            + services + [
                AdminServer(
                    config: admin, registry: runtime.registry, readiness: runtime.readiness, logger: logger,
                    routes: adminRoutes, onListening: { port in Endpoints.announce("admin", "http://\(admin.host):\(port)") })
            ]
        let group = ServiceGroup(
            configuration: .init(services: all, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        defer { connection.close() }
        try await group.run()
    }
}
