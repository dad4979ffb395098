import FabricObservability
import ServiceLifecycle

/// The last service of the adapter's group, so the first to hear of a graceful shutdown:
/// it refuses new connections (503), lets each session finish what is in flight, flush its
/// buffer and close with 1001 — all within `ws.drain_timeout` — and only then lets the
/// listener stop (whose own shutdown would close every connection at once).
struct WebSocketDrainGate: Service {
    let adapter: WebSocketAdapter
    let readiness: Readiness

    func run() async throws {
        try? await gracefulShutdown()
        if Task.isCancelled { return }
        readiness.notReady("ws", reason: "draining")
        await adapter.drain()
    }
}
