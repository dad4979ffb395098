import FabricCore
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// The admin listener of a role: `/metrics` (Prometheus text), `/healthz`, `/readyz`,
/// plus whatever routes the role adds (the control API).
public struct AdminServer: Service {
    /// Adds routes to the admin router.
    public typealias Routes = @Sendable (Router<BasicRequestContext>) -> Void

    private let application: Application<RouterResponder<BasicRequestContext>>

    /// Creates the server; `onListening` receives the bound port (useful with port 0).
    public init(
        config: AdminConfig, registry: PrometheusCollectorRegistry, readiness: Readiness, logger: Logger,
        routes: Routes? = nil, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            var buffer = ByteBuffer()
            buffer.writeBytes(registry.emitToBuffer())
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: buffer))
        }
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ -> Response in
            let body = readiness.report + "\n"
            return Response(
                status: readiness.isReady ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        routes?(router)
        application = Application(
            router: router,
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "fabric-admin"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? config.port) },
            logger: logger)
    }

    public func run() async throws { try await application.run() }
}
