import FabricCore
import Logging

/// Applies key `priorities` of `fabric-config` to a `PriorityTableState`, so every adapter
/// instance (HTTP, WebSocket, …) sheds by the same table as soon as the bucket delivers a
/// change.
///
/// An invalid table is refused and logged; the one in force stays. A deleted key puts the
/// default table (everything `normal`) back in force. Each adapter runs the watch in its
/// own service (`updates()` ended by its graceful shutdown, each update to `apply`).
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

    /// The `fabric-config` bucket.
    public let bucket: KeyValue
    /// Where the table in force lives.
    public let state: PriorityTableState
    let logger: Logger

    /// Creates a watch.
    public init(bucket: KeyValue, state: PriorityTableState, logger: Logger) {
        self.bucket = bucket
        self.state = state
        self.logger = logger
    }

    /// The updates of the `priorities` key, the stored value first.
    public func updates() throws(NATSError) -> AsyncStream<KeyValueUpdate> {
        try bucket.watch(FabricNames.ConfigKey.priorities)
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
