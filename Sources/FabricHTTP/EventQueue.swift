import FabricCore
import Synchronization

/// The hand-off between NATS delivery threads and one Server-Sent Events stream, awaited
/// by the one task writing the stream.
///
/// Two lanes, served in arrival order:
/// - ordinary messages (at-most-once) in a `BoundedQueue` with the configured drop policy;
/// - at-least-once frames, whose sender waits for an answer, in a small lane of their own
///   that no drop policy touches. A flood of topic messages can therefore never push an
///   outbox frame out; the lane is small because delivery sends a client one frame at a
///   time, and a frame that finds it full is simply not answered (delivery sends it again).
///
/// Heartbeats and closing travel beside both, so a full queue never drops them and they
/// never push a message out.
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
        /// Another connection with the same client id took the session over.
        case takenOver
        /// The client went away (its connection closed, or it reset its HTTP/2 stream).
        case clientGone
    }

    private struct Entry: Sendable {
        let order: UInt64
        let element: Element
    }

    private struct State {
        var queue: BoundedQueue<Entry>
        var reliable: BoundedQueue<Entry>
        var pushed: UInt64 = 0
        var heartbeatDue = false
        var closed: CloseReason?
        var waiter: CheckedContinuation<Item, Never>?

        /// The entry that arrived first, from either lane.
        mutating func popOldest() -> Element? {
            switch (queue.first, reliable.first) {
            case (let plain?, let frame?): (plain.order < frame.order ? queue.pop() : reliable.pop())?.element
            case (.some, nil): queue.pop()?.element
            case (nil, .some): reliable.pop()?.element
            case (nil, nil): nil
            }
        }
    }

    private let state: Mutex<State>
    private let onDrop: @Sendable () -> Void

    /// - Parameters:
    ///   - capacity: ordinary messages held; `policy` says what a full queue does.
    ///   - priority: an ordinary message's priority, for the `priority` policy.
    ///   - reliableCapacity: at-least-once frames held.
    init(
        capacity: Int, policy: DropPolicy, priority: (@Sendable (Element) -> Priority)? = nil, reliableCapacity: Int = 16,
        onDrop: @escaping @Sendable () -> Void
    ) {
        let entryPriority = priority.map { priority in { @Sendable (entry: Entry) in priority(entry.element) } }
        state = Mutex(
            State(
                queue: BoundedQueue(capacity: capacity, policy: policy, priority: entryPriority),
                reliable: BoundedQueue(capacity: reliableCapacity, policy: .dropNewest)))
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
            state.pushed += 1
            switch state.queue.push(Entry(order: state.pushed, element: element)) {
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

    /// Adds a frame the drop policy never touches (from any thread); false when nothing
    /// was queued (the stream is closed or the lane is full).
    func pushReliable(_ element: Element) -> Bool {
        let (waiter, queued) = state.withLock { state -> (CheckedContinuation<Item, Never>?, Bool) in
            guard state.closed == nil else { return (nil, false) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, true)
            }
            state.pushed += 1
            guard case .queued = state.reliable.push(Entry(order: state.pushed, element: element)) else {
                return (nil, false)
            }
            return (nil, true)
        }
        waiter?.resume(returning: .element(element))
        return queued
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

    /// Ends the stream; queued messages are discarded. The first reason stays.
    func close(_ reason: CloseReason) {
        let (waiter, why) = state.withLock { state -> (CheckedContinuation<Item, Never>?, CloseReason) in
            if state.closed == nil { state.closed = reason }
            defer { state.waiter = nil }
            return (state.waiter, state.closed ?? reason)
        }
        waiter?.resume(returning: .closed(why))
    }

    /// True once the stream was closed.
    var isClosed: Bool { state.withLock { $0.closed != nil } }

    /// The next item; only one task may wait at a time.
    func next() async -> Item {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Item? in
                if let reason = state.closed { return .closed(reason) }
                if let element = state.popOldest() { return .element(element) }
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
