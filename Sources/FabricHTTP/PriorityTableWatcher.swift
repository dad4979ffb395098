import FabricCore
import FabricNATS
import Logging
import Metrics
import ServiceLifecycle

/// Keeps the HTTP adapter's `PriorityTableState` in step with key `priorities` of
/// `fabric-config` (`PriorityTableWatch`), counting reloads.
struct PriorityTableWatcher: Service {
    let bucket: KeyValue
    let state: PriorityTableState
    let metrics: HTTPMetrics
    let logger: Logger
    /// Runs once the stored table is applied.
    let caughtUp: @Sendable () -> Void

    /// Watches until a graceful shutdown or cancellation.
    func run() async {
        let watch = PriorityTableWatch(bucket: bucket, state: state, logger: logger)
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
