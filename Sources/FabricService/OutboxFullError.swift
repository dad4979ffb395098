/// Thrown by `ServiceContext.outbox` when the client's queue holds
/// `jetstream.outbox.max_per_client` messages: the new one is refused, the queued ones
/// stay (`docs/delivery.md`, overflow).
public struct OutboxFullError: Error, CustomStringConvertible {
    /// The client whose queue is full.
    public let clientID: String

    /// Creates the error.
    public init(clientID: String) { self.clientID = clientID }

    public var description: String { "the outbox of client \(clientID) is full" }
}
