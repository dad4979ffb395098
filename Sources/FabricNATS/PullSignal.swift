/// What arrived on a pull subscription's inbox.
public enum PullSignal: Sendable, Hashable {
    /// A stored message; its reply subject is the ack subject.
    case message(JetStreamMetadata)
    /// A status from the server about pull request `request` (nil when the subject did
    /// not name one of ours): 404 no messages, 408 request expired, 409 conflict (too
    /// many waiting requests, consumer deleted, …), 100 heartbeat.
    case status(code: Int, request: UInt64?, description: String, pendingMessages: Int?)
}
