import Synchronization

/// Waits for an event, at most `limit`; true when the event came first.
///
/// `register` runs at once and hands the event's side a resume action: call it when the
/// event happens (from any thread; at once when it already has). It may be called late or
/// more than once. A task group alone cannot do this: it waits for every child, so a
/// continuation still waiting for the event would hold the caller past `limit`.
public func waitAtMost(_ limit: Duration, register: (@escaping @Sendable () -> Void) -> Void) async -> Bool {
    let once = OnceResumption()
    return await withTaskGroup(of: Void.self) { group in
        group.addTask {
            try? await Task.sleep(for: limit)
            once.resume(false)
        }
        let happened = await withCheckedContinuation { continuation in
            once.set(continuation)
            register { once.resume(true) }
        }
        group.cancelAll()
        return happened
    }
}

/// A continuation resumed by whichever comes first; later resumes do nothing.
private final class OnceResumption: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<Bool, Never>?, early: Bool?)>((nil, nil))

    func set(_ continuation: CheckedContinuation<Bool, Never>) {
        let early = state.withLock { state -> Bool? in
            guard let early = state.early else {
                state.continuation = continuation
                return nil
            }
            return early
        }
        if let early { continuation.resume(returning: early) }
    }

    func resume(_ value: Bool) {
        let continuation = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let continuation = state.continuation else {
                if state.early == nil { state.early = value }
                return nil
            }
            state.continuation = nil
            state.early = value
            return continuation
        }
        continuation?.resume(returning: value)
    }
}
