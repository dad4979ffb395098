import ArgumentParser
import FabricAuth
import FabricCore
import FabricHTTP
import FabricNATS
import FabricObservability
import Logging
import ServiceLifecycle

/// `fabric adapter http`: the HTTP/1.1 and HTTP/2 adapter.
struct HTTPAdapterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http", abstract: "Run the HTTP/1.1 + HTTP/2 adapter (publish, request, query, events).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var ports: HTTPPortOptions

    @OptionGroup var developmentKey: DevelopmentKeyOption

    func run() async throws {
        let runtime = try Runtime.start(global, role: "adapter-http", overrides: ports.overrides)
        let developmentKeyFile = try developmentKey.keyFile(runtime.config)
        let context = try await RoleContext.connect(
            runtime, role: "adapter-http", batchWhenBusy: runtime.config.http.batchPublishes)
        let (adapter, services) = try await Self.makeAdapter(context, developmentKey: developmentKeyFile)
        let control = adapter.controlAPI(token: runtime.config.admin.token)
        try await context.run(services + [adapter], adminRoutes: control?.adminRoutes)
    }

    /// The adapter of `context`, plus the services it needs running (a JWKS URL refresher).
    ///
    /// `onListening` gets each listener's name and URL; by default they are printed as
    /// endpoint lines.
    static func makeAdapter(
        _ context: RoleContext, developmentKey: String?,
        onListening: @escaping @Sendable (HTTPAdapter.Listener, String) async -> Void = { listener, url in
            Endpoints.announce(listener.rawValue, url)
        }
    ) async throws -> (HTTPAdapter, [any Service]) {
        let config = context.config
        for (name, port) in [
            ("http.port", config.http.port), ("http.h2c_port", config.http.h2cPort),
            ("http.tls.port", config.http.tls?.port ?? -1),
        ] where port > 0 {
            if let problem = PortCheck.inUse(host: config.http.host, port: port) {
                throw ValidationFailure(message: "\(name): \(problem)")
            }
        }
        let verifier = try await context.tokenVerifier(developmentKey: developmentKey)
        let topology = FabricTopology(config: config.jetstream)
        let configBucket = try await context.jetStream.ensureKeyValue(topology.configBucket)
        let cacheBucket = try await context.jetStream.ensureKeyValue(topology.cacheBucket)
        let adapter: HTTPAdapter
        do {
            adapter = try HTTPAdapter(
                config: config.http, connection: context.connection, jetStream: context.jetStream, verifier: verifier,
                configBucket: configBucket, cacheBucket: cacheBucket, readiness: context.runtime.readiness,
                instance: config.instance, logger: context.logger, onListening: onListening)
        } catch {
            throw ValidationFailure(message: "\(error)")
        }
        return (adapter, verifier.remote.map { [$0] } ?? [])
    }
}
