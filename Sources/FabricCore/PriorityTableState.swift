import Synchronization

/// The priority table in force on this instance, the `fabric-config` revision it came
/// from, and a small per-type cache so a request does not scan the table.
///
/// Filled by the KV watch (`PriorityTableWatcher`); waiters for a revision let a caller
/// (the control API's tests, an operator tool) see when a change has been applied.
public final class PriorityTableState: Sendable {
    private struct State {
        var table = PriorityTable()
        var revision: UInt64 = 0
        var byType: [String: Priority] = [:]
        var waiters: [(revision: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private static let maxCachedTypes = 10_000
    private let state = Mutex(State())

    /// Creates the state with the default table (everything `normal`).
    public init() {}

    /// The table in force and its revision (0 before any was read).
    public var current: (table: PriorityTable, revision: UInt64) { state.withLock { ($0.table, $0.revision) } }

    /// The class of `type` under the table in force.
    public func priority(for type: String) -> Priority {
        state.withLock { state in
            if let known = state.byType[type] { return known }
            let priority = state.table.priority(for: type)
            if state.byType.count >= PriorityTableState.maxCachedTypes { state.byType.removeAll(keepingCapacity: true) }
            state.byType[type] = priority
            return priority
        }
    }

    /// Puts `table` in force as of `revision`.
    public func apply(_ table: PriorityTable, revision: UInt64) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.table = table
            state.revision = max(state.revision, revision)
            state.byType.removeAll(keepingCapacity: true)
            let applied = state.revision
            var done: [CheckedContinuation<Void, Never>] = []
            state.waiters.removeAll { waiter in
                guard waiter.revision <= applied else { return false }
                done.append(waiter.continuation)
                return true
            }
            return done
        }
        ready.forEach { $0.resume() }
    }

    /// Suspends until a table of `revision` or later is in force.
    public func waitUntilApplied(revision: UInt64) async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.revision >= revision { return true }
                state.waiters.append((revision, continuation))
                return false
            }
            if now { continuation.resume() }
        }
    }
}
