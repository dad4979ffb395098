import Synchronization

/// Continuations waiting for a value, each given up after a timeout.
///
/// The timeout is a safety net so a broken adapter fails a test instead of hanging it;
/// a waiter is resumed by the event it waits for, never by polling.
public final class Waiting<Value: Sendable>: Sendable {
    private struct Waiter {
        let matches: @Sendable (Value) -> Bool
        let continuation: CheckedContinuation<Value?, Never>
    }

    private let waiters = Mutex<(next: Int, list: [Int: Waiter])>((0, [:]))

    /// Creates an empty list.
    public init() {}

    /// Waits for a value satisfying `matches` that `offer` hands over, unless `current`
    /// already has one; nil after `timeout`.
    public func wait(
        timeout: Duration, current: @Sendable () -> Value?, matches: @escaping @Sendable (Value) -> Bool
    ) async -> Value? {
        let id = waiters.withLock { state -> Int in
            state.next += 1
            return state.next
        }
        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.resume(id, with: nil)
            }
            let value: Value? = await withCheckedContinuation { continuation in
                // Registered before `current` is read: a value offered in between is not missed.
                waiters.withLock { $0.list[id] = Waiter(matches: matches, continuation: continuation) }
                if let present = current() { resume(id, with: present) }
            }
            group.cancelAll()
            return value
        }
    }

    /// Hands `value` to every waiter it satisfies.
    public func offer(_ value: Value) {
        let ready = waiters.withLock { state -> [CheckedContinuation<Value?, Never>] in
            var ready: [CheckedContinuation<Value?, Never>] = []
            for (id, waiter) in state.list where waiter.matches(value) {
                ready.append(waiter.continuation)
                state.list[id] = nil
            }
            return ready
        }
        ready.forEach { $0.resume(returning: value) }
    }

    private func resume(_ id: Int, with value: Value?) {
        let waiter = waiters.withLock { $0.list.removeValue(forKey: id) }
        waiter?.continuation.resume(returning: value)
    }
}
