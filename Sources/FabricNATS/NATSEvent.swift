/// Something that happened to a connection, delivered on `NATSConnection.events`.
public enum NATSEvent: Sendable, Hashable {
    /// The connection to a server was lost; nats.c is reconnecting.
    case disconnected
    /// Connected again, to the server at the URL.
    case reconnected(url: String)
    /// Closed for good (by `close()` or after reconnect attempts ran out).
    case closed
    /// A subscription fell behind and nats.c dropped messages.
    case slowConsumer(subject: String)
    /// An asynchronous error reported by nats.c.
    case error(String)
    /// The server entered lame duck mode and will shut down soon.
    case lameDuck
}
