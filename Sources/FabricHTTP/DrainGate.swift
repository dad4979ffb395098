import FabricObservability
import ServiceLifecycle

/// The last service of the adapter's group, so the first to hear of a graceful shutdown:
/// it refuses new requests, ends the event streams and waits for what is in flight, and
/// only then lets the group go on to close the listeners.
///
/// Hummingbird 2.28.1 cuts an HTTP/2 stream still in flight when its connection is asked
/// to quiesce (the conformance suite's drain case shows it), so the listeners must not
/// hear of the shutdown before the last request has been answered.
struct DrainGate: Service {
    let ingress: HTTPIngress
    let readiness: Readiness

    func run() async throws {
        try? await gracefulShutdown()
        // Cancelled rather than shut down: nothing to wait for, the requests are cancelled too.
        if Task.isCancelled { return }
        readiness.notReady("http", reason: "draining")
        await ingress.drain()
    }
}
