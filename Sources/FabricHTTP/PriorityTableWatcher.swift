import FabricCore
import FabricNATS
import Logging
import Metrics
import ServiceLifecycle

/// Keeps a `PriorityTableState` in step with key `priorities` of `fabric-config`, so every
/// adapter instance applies a change as soon as the bucket delivers it.
///
/// An invalid table is refused and logged; the one in force stays. A deleted key puts the
/// default table (everything `normal`) back in force.
struct PriorityTableWatcher: Service {
    let bucket: KeyValue
    let state: PriorityTableState
    let metrics: HTTPMetrics
    let logger: Logger
    /// Runs once the stored table is applied.
    let caughtUp: @Sendable () -> Void

    /// Watches until a graceful shutdown or cancellation.
    func run() async {
        let updates: AsyncStream<KeyValueUpdate>
        do {
            updates = try bucket.watch(FabricNames.ConfigKey.priorities)
        } catch {
            logger.error("cannot watch the priority table", metadata: ["error": "\(error)"])
            return
        }
        for await update in updates.cancelOnGracefulShutdown() {
            switch update {
            case .caughtUp:
                caughtUp()
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
    }
}
