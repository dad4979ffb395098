import FabricCore
import FabricNATS
import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import Synchronization

/// One client's Server-Sent Events stream: its topic subscriptions, its own
/// `fabric.out.client.<id>` and `fabric.out.user.<principal>`, the replay of stored
/// messages after `Last-Event-ID`, heartbeats, and the bounded buffer between them.
///
/// It holds the client's session for the delivery service (the outbox contract,
/// `docs/delivery.md`): a frame that carries a reply subject is answered `ok` only once its
/// event was written to the connection, or at once when its sequence was written before;
/// the presence events say how far the writing got. SSE has no acknowledgement from the
/// browser, so "acknowledged" here means "written to the connection".
final class EventStream: Sendable {
    /// What the stream carries from NATS to its writer.
    enum Frame: Sendable {
        /// At-most-once: published without a reply subject; written as it is, without an id.
        case plain(NATSMessage)
        /// At-least-once, from the delivery service: written with its outbox sequence as the
        /// event id, then answered `ok` on `reply`.
        case outbox(NATSMessage, sequence: UInt64, reply: String)
    }

    let clientID: String
    let principal: String
    let topics: [TopicFilter]
    /// Unique per stream: tells this session from the next one of the same client.
    let session: String
    let queue: EventQueue<Frame>
    private let resumeAfter: UInt64?
    private let protocolName: String
    private let config: HTTPConfig.Events
    private let connection: NATSConnection
    private let jetStream: JetStream
    private let metrics: HTTPMetrics
    private let instance: String
    private let logger: Logger
    private let subscriptions = Mutex<[NATSSubscription]>([])
    /// Highest outbox sequence written to the connection.
    private let written: Atomic<UInt64>
    private let disconnectAnnounced = Atomic<Bool>(false)

    /// - Parameters:
    ///   - resumeAfter: the client's `Last-Event-ID`, the last outbox sequence it says it saw.
    ///   - protocolName: `http` or `h2`, for the presence events.
    init(
        clientID: String, principal: String, topics: [TopicFilter], resumeAfter: UInt64?, protocolName: String,
        config: HTTPConfig.Events, connection: NATSConnection, jetStream: JetStream, metrics: HTTPMetrics, instance: String,
        logger: Logger
    ) {
        self.clientID = clientID
        self.principal = principal
        self.topics = topics
        self.session = FabricID.generate()
        self.resumeAfter = resumeAfter
        self.protocolName = protocolName
        self.config = config
        self.connection = connection
        self.jetStream = jetStream
        self.metrics = metrics
        self.instance = instance
        self.logger = logger
        written = Atomic(resumeAfter ?? 0)
        queue = EventQueue(
            capacity: config.buffer, policy: config.dropPolicy,
            priority: { frame in
                guard case .plain(let message) = frame else { return .normal }
                return message.headers[HeaderName.priority].flatMap(Priority.init(rawValue:)) ?? .normal
            }
        ) { metrics.eventsDropped.increment() }
    }

    /// The subjects this stream listens on.
    var subjects: [String] {
        topics.flatMap { FabricNames.Subject.outTopic(filter: $0) } + [
            FabricNames.Subject.outClient(clientID), FabricNames.Subject.outUser(principal: principal),
        ]
    }

    /// The highest outbox sequence written to the connection (or the `Last-Event-ID` it resumed after).
    var lastWritten: UInt64 { written.load(ordering: .acquiring) }

    /// Subscribes before anything is replayed, so nothing sent meanwhile is missed.
    func subscribe() throws(NATSError) {
        let clientSubject = FabricNames.Subject.outClient(clientID)
        var created: [NATSSubscription] = []
        do {
            for subject in subjects {
                // On the delivery thread: copy and hand over, never wait.
                if subject == clientSubject {
                    created.append(try connection.subscribe(to: subject) { [self] message in receive(message) })
                } else {
                    created.append(
                        try connection.subscribe(to: subject) { [queue] message in queue.push(.plain(message.copy())) })
                }
            }
        } catch {
            created.forEach { $0.unsubscribe() }
            throw error
        }
        subscriptions.withLock { $0 = created }
    }

    /// A message on the client's own subject, on the delivery thread: the adapter side of
    /// the outbox contract's rules 1 and 3 (`docs/delivery.md`).
    private func receive(_ message: borrowing NATSMessageView) {
        guard let reply = message.replyTo else {
            queue.push(.plain(message.copy()))
            return
        }
        guard let sequence = message.header(HeaderName.sequence).flatMap({ UInt64($0) }) else {
            answer(reply, .rejected, error: "an at-least-once frame without Fabric-Sequence")
            return
        }
        // A session that ended answers nothing: delivery sends the frame to the next one.
        guard !queue.isClosed else { return }
        if sequence <= lastWritten {
            // Already written: answered at once, not written again.
            answer(reply, .ok)
        } else if !queue.pushReliable(.outbox(message.copy(), sequence: sequence, reply: reply)) {
            // Not answered: delivery sends it again after its ack timeout.
            logger.debug("outbox frame not queued", metadata: ["client": "\(clientID)", "sequence": "\(sequence)"])
        }
    }

    private func answer(_ reply: String, _ status: Status, error: String? = nil) {
        do {
            try connection.reply(to: reply, status: status, error: error)
        } catch {
            logger.debug("outbox answer not sent", metadata: ["client": "\(clientID)", "error": "\(error)"])
        }
    }

    /// Stops every subscription.
    func unsubscribe() {
        let current = subscriptions.withLock { list in
            defer { list = [] }
            return list
        }
        current.forEach { $0.unsubscribe() }
    }

    /// Ends this stream because another connection took its session over: it stops
    /// answering at once, its writer sends the `close` event, and its disconnect is
    /// published before the new session's connect when both are on this instance.
    func takeOver() {
        queue.close(.takenOver)
        unsubscribe()
        announce(.disconnect)
    }

    /// Writes the stream until it is closed or the client goes away.
    func write(to writer: inout any ResponseBodyWriter) async throws {
        try await writer.write(ByteBuffer(string: ServerSentEvent.retry(.seconds(2)) + readyEvent.encoded))
        if let resumeAfter { try await replay(after: resumeAfter, to: &writer) }
        let heartbeat = config.heartbeat
        let queue = self.queue
        // The connection's handler cancels the task when the client goes away: the stream
        // ends at once instead of at its next heartbeat's failed write.
        try await withTaskCancellationHandler {
            try await writeQueued(to: &writer, heartbeat: heartbeat)
        } onCancel: {
            queue.close(.clientGone)
        }
    }

    private func writeQueued(to writer: inout any ResponseBodyWriter, heartbeat: Duration) async throws {
        let queue = self.queue
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: heartbeat)
                    queue.heartbeat()
                }
            }
            defer { group.cancelAll() }
            while true {
                switch await queue.next() {
                case .element(.plain(let message)):
                    let event = ServerSentEvent.message(
                        headers: message.headers, payload: message.payload, subject: message.subject)
                    try await writer.write(ByteBuffer(string: event.encoded))
                    metrics.eventsSent.increment()
                case .element(.outbox(let message, let sequence, let reply)):
                    // Sent twice (an answer lost, two pumps for a moment) or replayed meanwhile.
                    if sequence <= lastWritten {
                        answer(reply, .ok)
                        continue
                    }
                    let event = ServerSentEvent.message(
                        headers: message.headers, payload: message.payload, subject: message.subject, sequence: sequence)
                    // A failed write throws out of here unanswered: the session ends (rule 5).
                    try await writer.write(ByteBuffer(string: event.encoded))
                    written.store(sequence, ordering: .releasing)
                    metrics.eventsSent.increment()
                    answer(reply, .ok)
                case .heartbeat:
                    try await writer.write(ByteBuffer(string: ServerSentEvent.comment("keep-alive")))
                case .closed(let reason):
                    let event = ServerSentEvent(
                        id: nil, event: "close", data: JSONCodec.encodeSorted(["reason": EventStream.reason(reason)]))
                    try await writer.write(ByteBuffer(string: event.encoded))
                    return
                }
            }
        }
        try await writer.finish(nil)
    }

    /// The `reason` of the `close` event.
    static func reason(_ reason: EventQueue<Frame>.CloseReason) -> String {
        switch reason {
        case .overflow: "slow-consumer"
        case .shutdown: "shutdown"
        case .takenOver: "session-taken-over"
        case .clientGone: "client-gone"
        }
    }

    private var readyEvent: ServerSentEvent {
        let body: JSONValue = .object([
            "client": .string(clientID), "topics": .array(topics.map { .string($0.filter) }),
        ])
        return ServerSentEvent(id: nil, event: "ready", data: JSONCodec.encodeSorted(body))
    }

    /// Sends what `FABRIC_OUTBOX` holds for this client after `sequence`.
    private func replay(after sequence: UInt64, to writer: inout any ResponseBodyWriter) async throws {
        var last = sequence
        var sent = 0
        let subject = FabricNames.Subject.outbox(clientID: clientID)
        while sent < config.maxReplay {
            let stored: StoredMessage?
            do {
                stored = try await jetStream.nextMessage(stream: FabricNames.Stream.outbox, subject: subject, from: last + 1)
            } catch {
                logger.warning("event replay stopped", metadata: ["client": "\(clientID)", "error": "\(error)"])
                break
            }
            guard let stored else { break }
            last = stored.sequence
            // Delivery may have sent it already (its first frames race the replay).
            guard stored.sequence > lastWritten else { continue }
            let event = ServerSentEvent.message(
                headers: stored.headers, payload: stored.payload, subject: stored.subject, sequence: stored.sequence)
            try await writer.write(ByteBuffer(string: event.encoded))
            written.store(stored.sequence, ordering: .releasing)
            metrics.eventsSent.increment()
            sent += 1
        }
    }

    /// Tells the delivery service this session started (after subscribing) or ended: on
    /// connect the last sequence the client says it saw (`Last-Event-ID`), on disconnect
    /// the last one written to the connection. A disconnect is published once.
    func announce(_ kind: PresenceEvent.Kind) {
        if kind == .disconnect {
            guard !disconnectAnnounced.exchange(true, ordering: .acquiringAndReleasing) else { return }
        }
        let event = PresenceEvent(
            client: clientID, principal: principal, instance: instance, protocol: protocolName, session: session,
            lastSequence: kind == .connect ? resumeAfter ?? 0 : lastWritten)
        do {
            try connection.publish(kind.subject, payload: event.json)
        } catch {
            logger.debug("presence not published", metadata: ["error": "\(error)"])
        }
    }
}
