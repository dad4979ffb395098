import Synchronization

/// Wakes one waiting task, or the next one to wait when nobody waits yet: how an outbox
/// pump learns that its client has a new message, without polling fast.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var cancelled = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Wakes the waiter, or lets the next `wait` return at once.
    func wake() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Waits until woken (true) or until `timeout` passes (false).
    func wait(upTo timeout: Duration) async -> Bool {
        let already = state.withLock { state -> Bool in
            state.cancelled = false
            defer { state.pending = false }
            return state.pending
        }
        if already { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.waitForWake()
                return !Task.isCancelled
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    private func waitForWake() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.pending || state.cancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            // The cancellation may come before the continuation is stored: the flag
            // makes the closure above resume at once in that case.
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.cancelled = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
