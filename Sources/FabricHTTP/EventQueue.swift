import FabricCore
import Synchronization

/// The hand-off between NATS delivery threads and one Server-Sent Events stream: a
/// `BoundedQueue` with the configured drop policy, a heartbeat flag and a close reason,
/// awaited by the one task writing the stream.
///
/// Heartbeats and closing travel beside the queue, not in it, so a full queue never drops
/// them and they never push a message out.
final class EventQueue<Element: Sendable>: Sendable {
    /// What the writer gets next.
    enum Item: Sendable {
        /// A queued message.
        case element(Element)
        /// Time to send a keep-alive comment.
        case heartbeat
        /// The stream ends.
        case closed(CloseReason)
    }

    /// Why a stream ended.
    enum CloseReason: Sendable, Equatable {
        /// The adapter is shutting down.
        case shutdown
        /// The client fell behind under the `disconnect` policy.
        case overflow
    }

    private struct State {
        var queue: BoundedQueue<Element>
        var heartbeatDue = false
        var closed: CloseReason?
        var waiter: CheckedContinuation<Item, Never>?
    }

    private let state: Mutex<State>
    private let onDrop: @Sendable () -> Void

    init(
        capacity: Int, policy: DropPolicy, priority: (@Sendable (Element) -> Priority)? = nil,
        onDrop: @escaping @Sendable () -> Void
    ) {
        state = Mutex(State(queue: BoundedQueue(capacity: capacity, policy: policy, priority: priority)))
        self.onDrop = onDrop
    }

    /// Adds a message (from any thread); applies the drop policy when full.
    func push(_ element: Element) {
        let (waiter, dropped) = state.withLock { state -> (CheckedContinuation<Item, Never>?, Bool) in
            guard state.closed == nil else { return (nil, false) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, false)
            }
            switch state.queue.push(element) {
            case .queued: return (nil, false)
            case .droppedNewest, .droppedOldest, .droppedQueued: return (nil, true)
            case .overflow:
                state.closed = .overflow
                return (nil, true)
            }
        }
        if dropped { onDrop() }
        waiter?.resume(returning: .element(element))
    }

    /// Asks for a heartbeat at the writer's next turn.
    func heartbeat() {
        let waiter = state.withLock { state -> CheckedContinuation<Item, Never>? in
            guard state.closed == nil else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.heartbeatDue = true
            return nil
        }
        waiter?.resume(returning: .heartbeat)
    }

    /// Ends the stream; queued messages are discarded.
    func close(_ reason: CloseReason) {
        let waiter = state.withLock { state -> CheckedContinuation<Item, Never>? in
            if state.closed == nil { state.closed = reason }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: .closed(reason))
    }

    /// The next item; only one task may wait at a time.
    func next() async -> Item {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Item? in
                if let reason = state.closed { return .closed(reason) }
                if let element = state.queue.pop() { return .element(element) }
                if state.heartbeatDue {
                    state.heartbeatDue = false
                    return .heartbeat
                }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
