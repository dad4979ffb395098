/// The delivery guarantee of a route.
public enum Delivery: String, Sendable, Hashable, CaseIterable, Codable {
    /// Core NATS end to end; may drop under overload.
    case atMostOnce = "at-most-once"
    /// Stored in JetStream before the client is acknowledged; retried, then dead-lettered.
    case atLeastOnce = "at-least-once"
}
