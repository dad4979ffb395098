/// The cases every adapter passes, whatever its protocol.
public enum ConformanceCase: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Every bad token is refused with its reason, and nothing is published.
    case authMatrix = "auth matrix"
    /// At-most-once: the ack comes once the router republished; the backend subject gets it.
    case publishAtMostOnce = "publish at-most-once"
    /// At-least-once: the ack comes only once the message is stored in FABRIC_WORK.
    case publishAtLeastOnce = "publish at-least-once"
    /// At-least-once when the store cannot take it: `unavailable`, not an ack.
    case publishStoreUnavailable = "publish at-least-once, store full"
    /// Request/reply through the router to echo, claims echoed.
    case requestReply = "request/reply"
    /// A backend that never answers: `timeout`, with the correlation id.
    case backendTimeout = "backend timeout"
    /// The same idempotency key twice is one stored message; another key is another.
    case idempotency
    /// Client `Fabric-*`/`Nats-*` metadata never reaches the backend; the configured header
    /// does; the raw token (nor its signature) is in no header or payload published on `fabric.>`.
    case headerStripping = "header stripping"
    /// One byte over the limit: the protocol's "too large" answer, nothing published.
    case oversizedInput = "oversized input"
    /// On shutdown an in-flight request still completes, and new clients are refused.
    case drain

    public var description: String { rawValue }

    /// What the environment of this case needs.
    var options: ConformanceEnvironment.Options {
        switch self {
        case .publishStoreUnavailable: ConformanceEnvironment.Options(workMaxMessages: 1)
        default: ConformanceEnvironment.Options()
        }
    }
}
