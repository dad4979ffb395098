import Synchronization

/// Coalesces concurrent work on the same key: the first caller (the leader) does it, the
/// others wait for its result.
///
/// The leader decides per result whether the waiters may have it (`finish(_:sharing:)`
/// with nil sends them off to do their own work), so an answer that is not valid for
/// everyone who waited is never handed to them.
final class SingleFlight<Value: Sendable>: Sendable {
    /// What `join` made of the caller.
    enum Role: Sendable {
        /// Do the work, then call `finish`.
        case leader
        /// Another caller did it; here is its result, or nil when it could not be shared.
        case follower(Value?)
    }

    private let waiting = Mutex<[String: [CheckedContinuation<Role, Never>]]>([:])

    init() {}

    /// Joins the flight for `key`: returns `.leader` at once to the first caller; the
    /// others wait until the leader finishes.
    func join(_ key: String) async -> Role {
        await withCheckedContinuation { continuation in
            let first = waiting.withLock { flights -> Bool in
                if flights[key] != nil {
                    flights[key]!.append(continuation)
                    return false
                }
                flights[key] = []
                return true
            }
            if first { continuation.resume(returning: .leader) }
        }
    }

    /// Ends the leader's flight for `key`, handing `value` (or nil) to every waiter.
    func finish(_ key: String, sharing value: Value?) {
        let waiters = waiting.withLock { $0.removeValue(forKey: key) } ?? []
        for waiter in waiters { waiter.resume(returning: .follower(value)) }
    }

    /// Keys with a flight in progress.
    var inFlight: Int { waiting.withLock { $0.count } }

    /// Callers waiting for a leader, over every key.
    var waiters: Int { waiting.withLock { $0.values.reduce(0) { $0 + $1.count } } }
}
