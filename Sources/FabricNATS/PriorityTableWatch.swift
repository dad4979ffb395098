import FabricCore
import Logging

/// Applies key `priorities` of `fabric-config` to a `PriorityTableState`, so every adapter
/// instance (HTTP, WebSocket, …) sheds by the same table as soon as the bucket delivers a
/// change.
///
/// An invalid table is refused and logged; the one in force stays. A deleted key puts the
/// default table (everything `normal`) back in force. Each adapter runs `follow` in its own
/// service, cancelled by its graceful shutdown.
///
/// A watch that cannot start, or that ends before shutdown (its connection closed, the
/// bucket gone), is started again with exponential backoff: a silently stopped watch would
/// leave one instance shedding by an old table. Meanwhile the table in force stays.
public struct PriorityTableWatch: Sendable {
    /// What one update did.
    public enum Outcome: Sendable, Equatable {
        /// The stored table is applied (the watch caught up).
        case caughtUp
        /// A new table is in force.
        case applied
        /// A table was refused; the one in force stays.
        case refused
        /// The key was deleted; the default table is in force.
        case removed
    }

    /// What `follow` reports.
    public enum Event: Sendable, Equatable {
        /// An update was applied.
        case update(Outcome)
        /// The watch failed or ended; it starts again after `delay`.
        case restarting(reason: String, attempt: Int, delay: Duration)
    }

    /// The backoff between restarts: 100 ms doubling to 5 s, ±20 %.
    public static let restartBackoff = RetryPolicy(
        attempts: .max, initial: .milliseconds(100), max: .seconds(5), multiplier: 2, jitter: 0.2)

    /// Where the table in force lives.
    public let state: PriorityTableState
    let logger: Logger
    /// Starts one watch of the key, the stored value first.
    let start: @Sendable () throws(NATSError) -> AsyncStream<KeyValueUpdate>
    /// Throws when a start cannot succeed now: starting blocks for the JetStream API's
    /// timeout while the connection is down, which would hold up a shutdown.
    let checkReady: @Sendable () throws(NATSError) -> Void

    /// Creates a watch of key `priorities` in the `fabric-config` bucket.
    public init(bucket: KeyValue, state: PriorityTableState, logger: Logger) {
        let connection = bucket.jetStream.connection
        self.init(state: state, logger: logger, checkReady: connection.requireConnected) { () throws(NATSError) in
            try bucket.watch(FabricNames.ConfigKey.priorities)
        }
    }

    /// Creates a watch whose updates come from `start` (tests end them at will).
    public init(
        state: PriorityTableState, logger: Logger, checkReady: @escaping @Sendable () throws(NATSError) -> Void = {},
        start: @escaping @Sendable () throws(NATSError) -> AsyncStream<KeyValueUpdate>
    ) {
        self.state = state
        self.logger = logger
        self.checkReady = checkReady
        self.start = start
    }

    /// Applies updates until the task is cancelled, starting the watch again with
    /// `backoff` whenever it cannot start or ends; `report` hears every event.
    public func follow(backoff: RetryPolicy = restartBackoff, report: @Sendable (Event) -> Void) async {
        var failures = 0
        while !Task.isCancelled {
            let reason: String
            do throws(NATSError) {
                try checkReady()
                var caughtUp = false
                for await update in try start() {
                    let outcome = apply(update)
                    if outcome == .caughtUp { caughtUp = true }
                    report(.update(outcome))
                }
                if Task.isCancelled { return }
                // A watch that had caught up worked: the backoff starts over.
                if caughtUp { failures = 0 }
                reason = "priority table watch ended; restarting"
            } catch {
                reason = "cannot watch the priority table (\(error.message)); retrying"
            }
            failures += 1
            let delay = backoff.delay(afterAttempt: failures)
            logger.warning("\(reason)", metadata: ["attempt": "\(failures)", "retry_in": "\(delay.fabricDescription)"])
            report(.restarting(reason: reason, attempt: failures, delay: delay))
            do { try await Task.sleep(for: delay) } catch { return }
        }
    }

    /// Applies one update.
    @discardableResult
    public func apply(_ update: KeyValueUpdate) -> Outcome {
        switch update {
        case .caughtUp:
            return .caughtUp
        case .entry(let entry) where entry.operation == .put:
            do {
                let table = try PriorityTable.parse(entry.text)
                state.apply(table, revision: entry.revision)
                logger.notice(
                    "priority table applied", metadata: ["revision": "\(entry.revision)", "entries": "\(table.entries.count)"])
                return .applied
            } catch {
                logger.error(
                    "priority table refused; the one in force stays",
                    metadata: ["revision": "\(entry.revision)", "error": "\(error)"])
                return .refused
            }
        case .entry(let entry):
            state.apply(PriorityTable(), revision: entry.revision)
            logger.notice("priority table removed; defaults in force", metadata: ["revision": "\(entry.revision)"])
            return .removed
        }
    }
}
