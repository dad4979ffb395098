import FabricCore
import FabricNATS
import FabricObservability
import Logging
import Metrics
import ServiceLifecycle

/// Keeps a `PriorityTableState` in step with key `priorities` of `fabric-config`, so every
/// adapter instance applies a change as soon as the bucket delivers it.
///
/// An invalid table is refused and logged; the one in force stays. A deleted key puts the
/// default table (everything `normal`) back in force.
///
/// A watch that cannot start, or that ends before shutdown (its connection closed, the
/// bucket gone), is started again with exponential backoff until it works or the adapter
/// shuts down. Meanwhile the table in force stays and `/readyz` reports
/// `priorities: …` with the reason; it is ready again once the new watch has caught up.
struct PriorityTableWatcher: Service {
    /// The backoff between attempts: 100 ms doubling to 5 s, ±20 %.
    static let defaultBackoff = RetryPolicy(
        attempts: .max, initial: .milliseconds(100), max: .seconds(5), multiplier: 2, jitter: 0.2)

    let state: PriorityTableState
    let metrics: HTTPMetrics
    let readiness: Readiness
    let logger: Logger
    let backoff: RetryPolicy
    /// Starts one watch of the key (the bucket's; tests end it at will).
    let watch: @Sendable () throws(NATSError) -> AsyncStream<KeyValueUpdate>

    /// The readiness component this watcher reports as.
    static let component = "priorities"

    init(
        bucket: KeyValue, state: PriorityTableState, metrics: HTTPMetrics, readiness: Readiness, logger: Logger,
        backoff: RetryPolicy = PriorityTableWatcher.defaultBackoff
    ) {
        self.init(state: state, metrics: metrics, readiness: readiness, logger: logger, backoff: backoff) {
            () throws(NATSError) in try bucket.watch(FabricNames.ConfigKey.priorities)
        }
    }

    init(
        state: PriorityTableState, metrics: HTTPMetrics, readiness: Readiness, logger: Logger, backoff: RetryPolicy,
        watch: @escaping @Sendable () throws(NATSError) -> AsyncStream<KeyValueUpdate>
    ) {
        self.state = state
        self.metrics = metrics
        self.readiness = readiness
        self.logger = logger
        self.backoff = backoff
        self.watch = watch
    }

    /// Watches until a graceful shutdown or cancellation, starting the watch again
    /// whenever it fails or ends.
    func run() async {
        var failures = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let reason: String
            do {
                let updates = try watch()
                if await follow(updates) { failures = 0 }
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                reason = "priority table watch ended; restarting"
            } catch {
                reason = "cannot watch the priority table (\(error.message)); retrying"
            }
            failures += 1
            let delay = backoff.delay(afterAttempt: failures)
            readiness.notReady(PriorityTableWatcher.component, reason: reason)
            metrics.priorityWatchRestarts.increment()
            logger.warning("\(reason)", metadata: ["attempt": "\(failures)", "retry_in": "\(delay.fabricDescription)"])
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
        }
    }

    /// Applies updates until the watch ends; true when it had caught up.
    private func follow(_ updates: AsyncStream<KeyValueUpdate>) async -> Bool {
        var caughtUp = false
        for await update in updates.cancelOnGracefulShutdown() {
            switch update {
            case .caughtUp:
                caughtUp = true
                readiness.ready(PriorityTableWatcher.component)
            case .entry(let entry) where entry.operation == .put:
                do {
                    let table = try PriorityTable.parse(entry.text)
                    state.apply(table, revision: entry.revision)
                    metrics.priorityReloads.increment()
                    logger.notice(
                        "priority table applied",
                        metadata: ["revision": "\(entry.revision)", "entries": "\(table.entries.count)"])
                } catch {
                    metrics.priorityReloadFailures.increment()
                    logger.error(
                        "priority table refused; the one in force stays",
                        metadata: ["revision": "\(entry.revision)", "error": "\(error)"])
                }
            case .entry(let entry):
                state.apply(PriorityTable(), revision: entry.revision)
                logger.notice("priority table removed; defaults in force", metadata: ["revision": "\(entry.revision)"])
            }
        }
        return caughtUp
    }
}
