import FabricCore
import FabricNATS
import Logging
import Metrics
import ServiceLifecycle

/// Runs the `PriorityTableWatch` of the adapter's priority table until shutdown.
struct PriorityWatchService: Service {
    let watch: PriorityTableWatch
    let metrics: WebSocketMetrics
    let logger: Logger
    let caughtUp: @Sendable () -> Void

    func run() async {
        let updates: AsyncStream<KeyValueUpdate>
        do {
            updates = try watch.updates()
        } catch {
            logger.error("cannot watch the priority table", metadata: ["error": "\(error)"])
            return
        }
        for await update in updates.cancelOnGracefulShutdown() {
            switch watch.apply(update) {
            case .caughtUp: caughtUp()
            case .applied: metrics.priorityReloads.increment()
            case .refused: metrics.priorityReloadFailures.increment()
            case .removed: break
            }
        }
    }
}
