import FabricCore
import FabricNATS
import FabricObservability
import Logging
import Metrics
import ServiceLifecycle

/// Runs the HTTP adapter's `PriorityTableWatch` until shutdown, counting reloads and
/// restarts; while a watch is being started again `/readyz` reports `priorities: …` with
/// the reason, and it is ready once the new watch has caught up.
struct PriorityTableWatcher: Service {
    /// The readiness component this watcher reports as.
    static let component = "priorities"

    let watch: PriorityTableWatch
    let metrics: HTTPMetrics
    let readiness: Readiness
    let backoff: RetryPolicy

    init(
        bucket: KeyValue, state: PriorityTableState, metrics: HTTPMetrics, readiness: Readiness, logger: Logger,
        backoff: RetryPolicy = PriorityTableWatch.restartBackoff
    ) {
        self.init(
            watch: PriorityTableWatch(bucket: bucket, state: state, logger: logger), metrics: metrics, readiness: readiness,
            backoff: backoff)
    }

    init(
        state: PriorityTableState, metrics: HTTPMetrics, readiness: Readiness, logger: Logger, backoff: RetryPolicy,
        watch start: @escaping @Sendable () throws(NATSError) -> AsyncStream<KeyValueUpdate>
    ) {
        self.init(
            watch: PriorityTableWatch(state: state, logger: logger, start: start), metrics: metrics, readiness: readiness,
            backoff: backoff)
    }

    init(watch: PriorityTableWatch, metrics: HTTPMetrics, readiness: Readiness, backoff: RetryPolicy) {
        self.watch = watch
        self.metrics = metrics
        self.readiness = readiness
        self.backoff = backoff
    }

    func run() async {
        let (metrics, readiness) = (self.metrics, self.readiness)
        await cancelWhenGracefulShutdown {
            await watch.follow(backoff: backoff) { event in
                switch event {
                case .update(.caughtUp): readiness.ready(PriorityTableWatcher.component)
                case .update(.applied): metrics.priorityReloads.increment()
                case .update(.refused): metrics.priorityReloadFailures.increment()
                case .update(.removed): break
                case .restarting(let reason, _, _):
                    readiness.notReady(PriorityTableWatcher.component, reason: reason)
                    metrics.priorityWatchRestarts.increment()
                }
            }
        }
    }
}
