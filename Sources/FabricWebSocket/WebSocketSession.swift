import FabricAuth
import FabricCore
import FabricNATS
import Foundation
import Logging
import Metrics
import NIOCore
import Synchronization

/// One client connection: its subscriptions, its bounded outbound buffer, its side of the
/// outbox contract and its token's lifetime; `WebSocketConnection` reads and writes its socket.
///
/// Lifecycle: take the client id over from a session that held it, subscribe to
/// `fabric.out.client.<id>` (and the user and raw-mode topic subjects), announce the
/// session, serve it, then unsubscribe and announce its end (`docs/delivery.md`).
final class WebSocketSession: Sendable {
    /// Unique per connection (a new one on every reconnect): tells one session from the next.
    let sessionID = FabricID.generate()
    /// The client id: token of (principal, client-chosen session id).
    let clientID: String
    /// The verified principal.
    let principal: String
    let mode: SessionMode
    /// The last outbox sequence the client said it saw when it connected.
    let resumeAfter: UInt64
    /// Topic filters a raw-mode connection listens to (from its URL).
    let rawTopics: [TopicFilter]
    let buffer: OutboundBuffer
    let context: SessionContext
    private let channel: any Channel
    let state: Mutex<State>
    private let finished = Mutex<(done: Bool, waiters: [@Sendable () -> Void])>((false, []))

    struct State {
        var claims: Claims
        /// When the token stops being valid (its `exp` plus the leeway), ms since the epoch.
        var expiry: UInt64?
        var ledger: OutboxLedger
        /// Message ids of at-least-once frames in flight, for acks by id.
        var sequenceByID: [String: UInt64] = [:]
        /// Filter → NATS subjects.
        var subscriptions: [String: [String]] = [:]
        /// Filters the client may subscribe to.
        var allowed: [TopicFilter]
        /// Publishes and requests waiting for their answers (at most `limits.max_in_flight`).
        var inFlight = 0
        /// Tasks the client's frames started that have not ended (the in-flight ones among them).
        var running = 0
        var idleWaiters: [@Sendable () -> Void] = []
        var phase = Phase.starting
        var bucket: TokenBucket
        var draining = false
        var clientSubscription: NATSSubscription?
        var joined: [String] = []
        /// Cuts the connection when a close could not be written in time.
        var cut: Scheduled<Void>?
        /// Closes the session when the token expires.
        var expiryTimer: Scheduled<Void>?
    }

    /// Where the session is in its life.
    enum Phase {
        /// `start` runs.
        case starting
        /// The connection closed while `start` ran: `start` ends the session.
        case closedWhileStarting
        case running
        case ended
    }

    init(
        clientID: String, claims: Claims, expiry: UInt64?, mode: SessionMode, resumeAfter: UInt64, rawTopics: [TopicFilter],
        allowed: [TopicFilter], channel: any Channel, context: SessionContext
    ) {
        self.clientID = clientID
        self.principal = claims.principal
        self.mode = mode
        self.resumeAfter = resumeAfter
        self.rawTopics = rawTopics
        self.channel = channel
        self.context = context
        // Answers are bounded by the in-flight cap and delivery's one outbox frame at a time;
        // what goes beyond that much again is a client that does not read.
        buffer = OutboundBuffer(
            size: context.config.buffer.size, policy: context.config.buffer.dropPolicy, metrics: context.metrics,
            replyLimit: context.config.buffer.size + context.config.limits.maxInFlight)
        let limits = context.config.limits
        state = Mutex(
            State(
                claims: claims, expiry: expiry, ledger: OutboxLedger(lastAcked: resumeAfter), allowed: allowed,
                bucket: TokenBucket(rate: limits.rate, burst: limits.burst, now: DispatchTime.now().uptimeNanoseconds)))
    }

    var isRaw: Bool { mode != .frames }

    var logger: Logger { context.logger }

    // MARK: Lifecycle

    /// Starts the session once the connection is upgraded; the connection's frames are read
    /// only after it returns (`WebSocketChildChannel`).
    func start() async {
        if state.withLock({ $0.phase == .closedWhileStarting }) {
            // Gone before it began: it takes no session over and announces nothing.
            state.withLock { $0.phase = .ended }
            markFinished()
            return
        }
        context.metrics.accepted.increment()
        let (previous, draining) = context.registry.claim(self)
        // Upgraded while the adapter drains (its decision began before): it closes at once.
        if draining { buffer.close(.goingAway, "shutting down", flush: false) }
        if let previous {
            // The old session unsubscribes and announces its end before this one announces its start.
            previous.takeOver()
            await previous.waitUntilFinished(timeout: context.config.closeTimeout)
        }
        do {
            try subscribe()
            try await context.connection.flush()
        } catch {
            logger.warning("cannot subscribe a session", metadata: ["client": "\(clientID)", "error": "\(error)"])
            buffer.close(.internalError, "cannot subscribe", flush: false)
        }
        announce(.connect)
        if mode == .frames {
            buffer.push(
                reply: .json([
                    "op": .string("ready"), "client": .string(clientID), "session": .string(sessionID),
                    "last_sequence": .number(Double(resumeAfter)),
                ]))
        }
        // Timers run on the channel's event loop, not in tasks of their own.
        buffer.whenClosing { [weak self] in self?.scheduleCut() }
        scheduleExpiry()
        let closed = state.withLock { state -> Bool in
            if state.phase == .closedWhileStarting { return true }
            state.phase = .running
            return false
        }
        if closed { await finish() }
    }

    /// The connection closed (its event loop): the session ends once its start has.
    func connectionClosed() {
        if !buffer.isClosing { context.metrics.closed(.normal) }
        // Whatever is still queued (a flushing close included) can no longer be written.
        buffer.abandon()
        let finishNow = state.withLock { state -> Bool in
            switch state.phase {
            case .starting:
                state.phase = .closedWhileStarting
                return false
            case .running:
                state.phase = .ended
                return true
            case .closedWhileStarting, .ended:
                return false
            }
        }
        if finishNow { Task { await self.finish() } }
    }

    /// Unsubscribes and announces the end, once what the client's frames started is done.
    private func finish() async {
        await waitUntilIdle()
        state.withLock { state in
            state.cut?.cancel()
            state.expiryTimer?.cancel()
        }
        unsubscribe()
        try? await context.connection.flush()
        announce(.disconnect)
        context.registry.remove(self)
        markFinished()
    }

    /// Runs what a client frame started (publish, request, subscribe, refresh) in a task of
    /// its own; the session ends only after every one of them.
    func spawn(_ operation: @escaping @Sendable () async -> Void) {
        state.withLock { $0.running += 1 }
        Task {
            await operation()
            let waiters = self.state.withLock { state -> [@Sendable () -> Void] in
                state.running -= 1
                guard state.running == 0 else { return [] }
                defer { state.idleWaiters = [] }
                return state.idleWaiters
            }
            waiters.forEach { $0() }
        }
    }

    /// Hands `resume` the moment no task a client frame started runs (at once when none does).
    private func whenIdle(_ resume: @escaping @Sendable () -> Void) {
        let idle = state.withLock { state -> Bool in
            if state.running == 0 { return true }
            state.idleWaiters.append(resume)
            return false
        }
        if idle { resume() }
    }

    private func waitUntilIdle() async {
        await withCheckedContinuation { continuation in whenIdle { continuation.resume() } }
    }

    /// Closes the session because another connection took its client id.
    func takeOver() {
        buffer.close(.takenOver, "session taken over by another connection", flush: false)
    }

    /// Graceful shutdown: refuse new messages, wait (at most `deadline`) for those in flight,
    /// then flush the buffer and close with 1001.
    func shutdown(deadline: Duration) async {
        state.withLock { $0.draining = true }
        _ = await waitAtMost(deadline) { whenIdle($0) }
        buffer.close(.goingAway, "shutting down", flush: true)
    }

    /// Returns once the session has unsubscribed and announced its end (or after `timeout`).
    func waitUntilFinished(timeout: Duration) async {
        _ = await waitAtMost(timeout) { resume in
            let done = finished.withLock { state -> Bool in
                if state.done { return true }
                state.waiters.append(resume)
                return false
            }
            if done { resume() }
        }
    }

    private func markFinished() {
        let waiters = finished.withLock { state in
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0() }
    }

    // MARK: Subscriptions

    private func subscribe() throws(NATSError) {
        let subscription = try context.connection.subscribe(to: FabricNames.Subject.outClient(clientID)) {
            [weak self] message in self?.received(message)
        }
        state.withLock { $0.clientSubscription = subscription }
        var subjects = [FabricNames.Subject.outUser(principal: principal)]
        subjects += rawTopics.flatMap { FabricNames.Subject.outTopic(filter: $0) }
        for subject in subjects {
            _ = try context.fanout.join(subject, self)
            state.withLock { $0.joined.append(subject) }
        }
    }

    private func unsubscribe() {
        let (client, subjects) = state.withLock { state -> (NATSSubscription?, [String]) in
            defer {
                state.clientSubscription = nil
                state.joined = []
                state.subscriptions = [:]
            }
            return (state.clientSubscription, state.joined + state.subscriptions.values.flatMap { $0 })
        }
        client?.unsubscribe()
        for subject in subjects { context.fanout.leave(subject, self) }
    }

    /// Tells the delivery service this client is here (or gone), and up to where it has seen.
    private func announce(_ kind: PresenceEvent.Kind) {
        let last = kind == .connect ? resumeAfter : state.withLock { $0.ledger.lastAcked }
        let event = PresenceEvent(
            client: clientID, principal: principal, instance: context.instance, protocol: "ws", session: sessionID,
            lastSequence: last)
        do {
            try context.connection.publish(kind.subject, payload: event.json)
        } catch {
            logger.debug("presence not published", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Pushing

    /// Queues a message the fabric pushed (drop policy applies).
    func push(message frame: ServerFrame) { buffer.push(message: frame) }

    /// The raw-mode frame of a message.
    func rawFrame(_ message: NATSMessage) -> ServerFrame {
        .raw(message.payload, priority: message.headers[HeaderName.priority].flatMap(Priority.init(rawValue:)) ?? .normal)
    }

    // MARK: Writing

    /// A frame went to the socket.
    func wrote(_ frame: ServerFrame) {
        context.metrics.framesOut.increment()
        context.metrics.bytesOut.increment(by: frame.size)
    }

    // MARK: Timers

    /// A writer stuck on a socket the client no longer reads cannot send its close: the
    /// connection is cut once the close has had `close_timeout`.
    private func scheduleCut() {
        let channel = self.channel
        let cut = channel.eventLoop.scheduleTask(in: .milliseconds(context.config.closeTimeout.milliseconds)) {
            channel.close(promise: nil)
        }
        state.withLock { $0.cut = cut }
    }

    /// Closes the session with 1008 when its token expires (checked again at that time: a
    /// `refresh` may have moved the expiry).
    func scheduleExpiry() {
        let expiry = state.withLock { state -> UInt64? in
            state.expiryTimer?.cancel()
            state.expiryTimer = nil
            return state.expiry
        }
        guard let expiry else { return }
        let delay = Int64(expiry) - Int64(WallClock.nowMillis())
        let timer = channel.eventLoop.scheduleTask(in: .milliseconds(max(0, delay))) { [weak self] in
            guard let self else { return }
            let due = self.state.withLock { $0.expiry.map { $0 <= WallClock.nowMillis() } ?? false }
            if due { self.buffer.close(.tokenExpired, "token expired", flush: false) } else { self.scheduleExpiry() }
        }
        state.withLock { $0.expiryTimer = timer }
    }
}
