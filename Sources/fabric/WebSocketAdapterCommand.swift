import ArgumentParser
import FabricAuth
import FabricCore
import FabricNATS
import FabricObservability
import FabricWebSocket
import Logging
import ServiceLifecycle

/// `fabric adapter ws`: the WebSocket adapter.
struct WebSocketAdapterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ws", abstract: "Run the WebSocket adapter (frames, raw mode, topics, acks, resume).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var ports: WebSocketPortOptions

    @OptionGroup var developmentKey: DevelopmentKeyOption

    func run() async throws {
        let runtime = try Runtime.start(global, role: "adapter-ws", overrides: ports.overrides)
        let developmentKeyFile = try developmentKey.keyFile(runtime.config)
        let context = try await RoleContext.connect(runtime, role: "adapter-ws")
        let (adapter, services) = try await Self.makeAdapter(context, developmentKey: developmentKeyFile)
        try await context.run(services + [adapter])
    }

    /// The adapter of `context`, plus the services it needs running (a JWKS URL refresher).
    static func makeAdapter(
        _ context: RoleContext, developmentKey: String?,
        onListening: @escaping @Sendable (String) async -> Void = { url in Endpoints.announce("ws", url) }
    ) async throws -> (WebSocketAdapter, [any Service]) {
        let config = context.config
        if config.ws.port > 0, let problem = PortCheck.inUse(host: config.ws.host, port: config.ws.port) {
            throw ValidationFailure(message: "ws.port: \(problem)")
        }
        let verifier = try await context.tokenVerifier(developmentKey: developmentKey)
        let configBucket = try await context.configBucket()
        let adapter: WebSocketAdapter
        do {
            adapter = try WebSocketAdapter(
                config: config.ws, connection: context.connection, verifier: verifier, configBucket: configBucket,
                readiness: context.runtime.readiness, instance: config.instance, logger: context.logger,
                leeway: config.auth.leeway, onListening: onListening)
        } catch {
            throw ValidationFailure(message: "\(error)")
        }
        return (adapter, verifier.remote.map { [$0] } ?? [])
    }
}
