import FabricNATS
import FabricObservability
import ServiceLifecycle

/// Follows a connection's events into `/readyz` (not ready while disconnected) and
/// drains the connection on graceful shutdown, before `fabric up` stops its nats-server.
struct NATSMonitor: Service {
    let connection: NATSConnection
    let readiness: Readiness
    /// The connection's check in `/readyz`.
    var name = "nats"

    func run() async throws {
        for await event in connection.events.cancelOnGracefulShutdown() {
            switch event {
            case .disconnected: readiness.notReady(name, reason: "disconnected, reconnecting")
            case .reconnected: readiness.ready(name)
            case .closed: readiness.notReady(name, reason: "connection closed")
            default: break
            }
        }
        try? await connection.drain(timeout: .seconds(5))
    }
}
