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
final class EventStream: Sendable {
    let clientID: String
    let principal: String
    let topics: [TopicFilter]
    let queue: EventQueue<NATSMessage>
    private let resumeAfter: UInt64?
    private let config: HTTPConfig.Events
    private let connection: NATSConnection
    private let jetStream: JetStream
    private let metrics: HTTPMetrics
    private let instance: String
    private let logger: Logger
    private let subscriptions = Mutex<[NATSSubscription]>([])
    private let seen = Atomic<UInt64>(0)

    init(
        clientID: String, principal: String, topics: [TopicFilter], resumeAfter: UInt64?, config: HTTPConfig.Events,
        connection: NATSConnection, jetStream: JetStream, metrics: HTTPMetrics, instance: String, logger: Logger
    ) {
        self.clientID = clientID
        self.principal = principal
        self.topics = topics
        self.resumeAfter = resumeAfter
        self.config = config
        self.connection = connection
        self.jetStream = jetStream
        self.metrics = metrics
        self.instance = instance
        self.logger = logger
        queue = EventQueue(
            capacity: config.buffer, policy: config.dropPolicy,
            priority: { $0.headers[HeaderName.priority].flatMap(Priority.init(rawValue:)) ?? .normal }
        ) { metrics.eventsDropped.increment() }
    }

    /// The subjects this stream listens on.
    var subjects: [String] {
        topics.flatMap { FabricNames.Subject.outTopic(filter: $0) } + [
            FabricNames.Subject.outClient(clientID), FabricNames.Subject.outUser(principal: principal),
        ]
    }

    /// Subscribes before anything is replayed, so nothing sent meanwhile is missed.
    func subscribe() throws(NATSError) {
        var created: [NATSSubscription] = []
        do {
            for subject in subjects {
                // On the delivery thread: copy and hand over, never wait.
                created.append(try connection.subscribe(to: subject) { [queue] message in queue.push(message.copy()) })
            }
        } catch {
            created.forEach { $0.unsubscribe() }
            throw error
        }
        subscriptions.withLock { $0 = created }
    }

    /// Stops every subscription.
    func unsubscribe() {
        let current = subscriptions.withLock { list in
            defer { list = [] }
            return list
        }
        current.forEach { $0.unsubscribe() }
    }

    /// Writes the stream until it is closed or the client goes away.
    func write(to writer: inout any ResponseBodyWriter) async throws {
        try await writer.write(ByteBuffer(string: ServerSentEvent.retry(.seconds(2)) + readyEvent.encoded))
        var lastSequence = resumeAfter ?? 0
        if let resumeAfter { lastSequence = try await replay(after: resumeAfter, to: &writer) }
        let heartbeat = config.heartbeat
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
                case .element(let message):
                    let sequence = message.headers[HeaderName.sequence].flatMap(UInt64.init)
                    // Already sent by the replay.
                    if let sequence, sequence <= lastSequence { continue }
                    if let sequence {
                        lastSequence = sequence
                        seen.store(sequence, ordering: .relaxed)
                    }
                    let event = ServerSentEvent.message(
                        headers: message.headers, payload: message.payload, subject: message.subject)
                    try await writer.write(ByteBuffer(string: event.encoded))
                    metrics.eventsSent.increment()
                case .heartbeat:
                    try await writer.write(ByteBuffer(string: ServerSentEvent.comment("keep-alive")))
                case .closed(let reason):
                    let why = reason == .overflow ? "slow-consumer" : "shutdown"
                    let event = ServerSentEvent(id: nil, event: "close", data: JSONCodec.encodeSorted(["reason": why]))
                    try await writer.write(ByteBuffer(string: event.encoded))
                    return
                }
            }
        }
        try await writer.finish(nil)
    }

    private var readyEvent: ServerSentEvent {
        let body: JSONValue = .object([
            "client": .string(clientID), "topics": .array(topics.map { .string($0.filter) }),
        ])
        return ServerSentEvent(id: nil, event: "ready", data: JSONCodec.encodeSorted(body))
    }

    /// Sends what `FABRIC_OUTBOX` holds for this client after `sequence`; returns the last sent.
    private func replay(after sequence: UInt64, to writer: inout any ResponseBodyWriter) async throws -> UInt64 {
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
            let event = ServerSentEvent.message(
                headers: stored.headers, payload: stored.payload, subject: stored.subject, sequence: stored.sequence)
            try await writer.write(ByteBuffer(string: event.encoded))
            metrics.eventsSent.increment()
            last = stored.sequence
            seen.store(last, ordering: .relaxed)
            sent += 1
        }
        return last
    }

    /// Tells the delivery service this client is here (or gone), and up to where it has seen.
    func announce(connected: Bool) {
        let lastSequence = connected ? resumeAfter : seen.load(ordering: .relaxed)
        var body: [String: JSONValue] = [
            "client": .string(clientID), "principal": .string(principal), "instance": .string(instance),
            "protocol": .string("sse"),
        ]
        if let lastSequence, lastSequence > 0 { body["last_sequence"] = .number(Double(lastSequence)) }
        let subject = connected ? FabricNames.Subject.presenceConnect : FabricNames.Subject.presenceDisconnect
        do {
            try connection.publish(subject, payload: Array(JSONCodec.encodeSorted(JSONValue.object(body)).utf8))
        } catch {
            logger.debug("presence not published", metadata: ["error": "\(error)"])
        }
    }
}
