import CNATS
import FabricCore
import Synchronization

/// A pull consumer read without a blocked thread: pull requests are published with a
/// reply subject under this subscription's own inbox, and what the server sends back is
/// handed to a synchronous handler on nats.c's delivery thread.
///
/// nats.c's fetch call blocks its thread until a batch is complete or its timeout
/// passes, and one consumer per service would hold one thread each. Here a caller keeps
/// as many messages requested as it has room for (`pull`), acknowledges each on its own
/// (`NATSConnection.acknowledge`), and learns from the `PullSignal` passed with every
/// message when a request ended, so it can ask again.
public final class PullSubscription: Sendable {
    /// Stream name.
    public let stream: String
    /// Consumer name.
    public let consumer: String
    let connection: NATSConnection
    let prefix: String
    private let subscription: NATSSubscription
    private let nextRequest = Atomic<UInt64>(0)

    /// Subscribes to a fresh inbox for `consumer` on `stream`; `handler` runs on the
    /// delivery thread for every message and status, must not block, and sees the
    /// messages of this subscription one at a time, in order.
    public init(
        connection: NATSConnection, stream: String, consumer: String,
        handler: @escaping @Sendable (borrowing NATSMessageView, PullSignal) -> Void
    ) throws(NATSError) {
        let prefix = connection.newInbox() + "."
        let prefixLength = prefix.utf8.count
        self.stream = stream
        self.consumer = consumer
        self.connection = connection
        self.prefix = prefix
        subscription = try connection.subscribe(to: prefix + "*") { message in
            if let reply = message.replyTo, let metadata = JetStreamMetadata(ackSubject: reply) {
                handler(message, .message(metadata))
                return
            }
            let code = message.header("Status").flatMap { Int($0.prefix(3)) } ?? 0
            let request = UInt64(String(message.subject.dropFirst(prefixLength)))
            handler(
                message,
                .status(
                    code: code, request: request, description: message.header("Description") ?? "",
                    pendingMessages: message.header("Nats-Pending-Messages").flatMap { Int($0) }))
        }
    }

    /// Asks for up to `batch` messages, the request living at most `expires`; returns
    /// the request's number (statuses about it name it).
    ///
    /// `noWait` without `expires` is a probe: the server answers 404 at once when the
    /// consumer has nothing left, instead of holding the request open.
    @discardableResult
    public func pull(batch: Int, expires: Duration?, noWait: Bool = false) throws(NATSError) -> UInt64 {
        let id = nextRequest.add(1, ordering: .relaxed).newValue
        try pull(id: id, batch: batch, expires: expires, noWait: noWait)
        return id
    }

    /// Asks for up to `batch` messages under a request number the caller chose.
    public func pull(id: UInt64, batch: Int, expires: Duration?, noWait: Bool = false) throws(NATSError) {
        var body = "{\"batch\":\(max(1, batch))"
        if let expires { body += ",\"expires\":\(max(1, expires.milliseconds) * 1_000_000)" }
        if noWait { body += ",\"no_wait\":true" }
        body += "}"
        try connection.publish(
            "$JS.API.CONSUMER.MSG.NEXT.\(stream).\(consumer)", payload: Array(body.utf8), replyTo: prefix + String(id))
    }

    /// Stops receiving; messages the server still sends are redelivered after the ack wait.
    public func stop() { subscription.unsubscribe() }
}
