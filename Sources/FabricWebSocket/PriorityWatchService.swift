import FabricCore
import FabricNATS
import FabricObservability
import Logging
import Metrics
import ServiceLifecycle

/// Runs the adapter's `PriorityTableWatch` until shutdown (restarting it when it fails),
/// counting reloads; `/readyz` reports `priorities` not ready while a watch is restarted.
struct PriorityWatchService: Service {
    let watch: PriorityTableWatch
    let metrics: WebSocketMetrics
    let readiness: Readiness

    func run() async {
        let (metrics, readiness) = (self.metrics, self.readiness)
        await cancelWhenGracefulShutdown {
            await watch.follow { event in
                switch event {
                case .update(.caughtUp): readiness.ready("priorities")
                case .update(.applied): metrics.priorityReloads.increment()
                case .update(.refused): metrics.priorityReloadFailures.increment()
                case .update(.removed): break
                case .restarting(let reason, _, _): readiness.notReady("priorities", reason: reason)
                }
            }
        }
    }
}
