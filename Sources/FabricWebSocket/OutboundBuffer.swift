import FabricCore
import Synchronization

/// The bounded buffer between the fabric and one client socket: NATS delivery threads
/// push, the connection's handler takes on its event loop (`WebSocketConnection`).
///
/// No task waits on it: a push onto an idle buffer calls the wake action the handler
/// registered, which schedules a drain on the event loop. An idle connection so holds no
/// suspended task and none of the task-stack slabs one keeps (`docs/architecture.md`).
///
/// Two lanes. Messages the fabric pushes (topics, users, at-most-once client messages) go
/// through a `BoundedQueue` with the configured drop policy. Answers to the client's own
/// frames and at-least-once outbox frames are never dropped: the first are bounded by the
/// in-flight cap, the second by delivery sending one frame at a time per client. A close
/// travels beside both, so a full buffer never loses it.
final class OutboundBuffer: Sendable {
    /// What the writer gets next.
    enum Item: Sendable {
        /// A frame to write.
        case frame(ServerFrame)
        /// Close the connection with this reason (after everything queued when flushing).
        case close(WebSocketStatusMapping.Close, String)
    }

    /// What a push did.
    enum Outcome: Sendable, Equatable {
        /// Queued.
        case queued
        /// The policy dropped a message (this one or a queued one).
        case dropped
        /// The `disconnect` policy closes the connection; everything queued is discarded.
        case overflow
        /// The connection is closing; nothing more is taken.
        case closed
    }

    fileprivate struct State {
        var messages: BoundedQueue<ServerFrame>
        var replies: [ServerFrame] = []
        var replyHead = 0
        var closing: (reason: WebSocketStatusMapping.Close, message: String)?
        var flush = false
        /// The taker found the buffer empty and waits to be woken.
        var idle = true
        var wake: (@Sendable () -> Void)?
        var closingActions: [@Sendable () -> Void] = []

        var waitingReplies: Int { replies.count - replyHead }
        var queued: Int { messages.count + waitingReplies }
    }

    private let state: Mutex<State>
    private let metrics: WebSocketMetrics
    let policy: DropPolicy

    /// Answers that may wait before the connection is closed (`push(reply:)`).
    let replyLimit: Int

    init(size: Int, policy: DropPolicy, metrics: WebSocketMetrics, replyLimit: Int) {
        self.replyLimit = replyLimit
        state = Mutex(State(messages: BoundedQueue(capacity: size, policy: policy, priority: { $0.priority })))
        self.policy = policy
        self.metrics = metrics
    }

    /// Frames queued now.
    var count: Int { state.withLock { $0.queued } }

    /// True once a close was asked for.
    var isClosing: Bool { state.withLock { $0.closing != nil } }

    /// Queues a message the fabric pushed, applying the drop policy.
    @discardableResult
    func push(message frame: ServerFrame) -> Outcome {
        let (wake, outcome, discarded, removed) = state.withLock {
            state -> ((@Sendable () -> Void)?, Outcome, Int, Int) in
            guard state.closing == nil else { return (nil, .closed, 0, 0) }
            switch state.messages.push(frame) {
            case .queued: return (state.takeWake(), .queued, 0, 0)
            case .droppedNewest, .droppedOldest, .droppedQueued: return (nil, .dropped, 0, 0)
            case .overflow:
                // Everything waiting goes with the connection; the close is the next item.
                let discarded = state.messages.count + 1
                let removed = state.discardAll()
                state.closing = (.overloaded, "slow consumer: more than \(state.messages.capacity) messages waiting")
                return (nil, .overflow, discarded, removed)
            }
        }
        switch outcome {
        case .queued:
            metrics.buffered(1)
            wake?()
        case .dropped:
            metrics.dropped(policy)
        case .overflow:
            metrics.dropped(.disconnect, count: discarded)
            metrics.buffered(-removed)
            wakeForClose()
        case .closed:
            break
        }
        return outcome
    }

    /// Queues an answer or an at-least-once frame; never dropped (false once closing).
    ///
    /// Answers are never dropped, so a client that keeps sending frames without reading
    /// their answers (errors, subscription confirmations) is closed (1013) once
    /// `replyLimit` of them wait, instead of growing the lane without bound.
    @discardableResult
    func push(reply frame: ServerFrame) -> Bool {
        let (wake, queued) = state.withLock { state -> ((@Sendable () -> Void)?, Bool) in
            guard state.closing == nil else { return (nil, false) }
            guard state.waitingReplies < replyLimit else { return (nil, false) }
            state.replies.append(frame)
            return (state.takeWake(), true)
        }
        if queued {
            metrics.buffered(1)
            wake?()
        } else {
            // A no-op when the buffer was already closing.
            close(.overloaded, "more than \(replyLimit) answers wait: the client does not read them", flush: false)
        }
        return queued
    }

    /// Asks the writer to close: at once, or after writing what is queued (`flush`).
    func close(_ reason: WebSocketStatusMapping.Close, _ message: String, flush: Bool) {
        let discarded = state.withLock { state -> Int in
            guard state.closing == nil else { return 0 }
            state.closing = (reason, message)
            state.flush = flush
            return flush ? 0 : state.discardAll()
        }
        if discarded > 0 { metrics.buffered(-discarded) }
        wakeForClose()
    }

    /// Registers what wakes the taker when something arrives; wakes it at once when
    /// something already waits.
    func attach(wake: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            state.wake = wake
            guard state.queued > 0 || state.closing != nil else { return false }
            state.idle = false
            return true
        }
        if now { wake() }
    }

    /// The connection is gone: closes and discards everything queued, even under a flushing close.
    func abandon() {
        let discarded = state.withLock { state -> Int in
            if state.closing == nil { state.closing = (.normal, "") }
            state.flush = false
            return state.discardAll()
        }
        if discarded > 0 { metrics.buffered(-discarded) }
        wakeForClose()
    }

    /// Forgets the wake action (the connection is gone).
    func detach() {
        state.withLock { state in
            state.wake = nil
            state.idle = true
        }
    }

    /// The next item, or nil when there is none: the taker is then woken by the next push
    /// or close. Only the connection's event loop takes.
    func poll() -> Item? {
        let item = state.withLock { state -> Item? in
            if let closing = state.closing, !state.flush { return .close(closing.reason, closing.message) }
            if state.waitingReplies > 0 {
                let frame = state.replies[state.replyHead]
                state.replyHead += 1
                if state.replyHead == state.replies.count {
                    state.replies.removeAll(keepingCapacity: false)
                    state.replyHead = 0
                }
                return .frame(frame)
            }
            if let frame = state.messages.pop() { return .frame(frame) }
            if let closing = state.closing { return .close(closing.reason, closing.message) }
            state.idle = true
            return nil
        }
        if case .frame? = item { metrics.buffered(-1) }
        return item
    }

    /// Runs `action` once a close is asked for (at once when it already was).
    func whenClosing(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            if state.closing != nil { return true }
            state.closingActions.append(action)
            return false
        }
        if now { action() }
    }

    private func wakeForClose() {
        let (wake, actions) = state.withLock { state -> ((@Sendable () -> Void)?, [@Sendable () -> Void]) in
            let actions = state.closingActions
            state.closingActions = []
            return (state.closing == nil ? nil : state.takeWake(), actions)
        }
        actions.forEach { $0() }
        wake?()
    }
}

extension OutboundBuffer.State {
    /// Empties both lanes; returns how many frames that discarded.
    fileprivate mutating func discardAll() -> Int {
        let discarded = queued
        while messages.pop() != nil {}
        replies = []
        replyHead = 0
        return discarded
    }

    /// The wake action when the taker is idle (it is not any more); nil when it is busy.
    fileprivate mutating func takeWake() -> (@Sendable () -> Void)? {
        guard idle, let wake else { return nil }
        idle = false
        return wake
    }
}
