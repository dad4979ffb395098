/// The generic outcome of a request, an ack or a delivery attempt.
///
/// Every protocol maps its own codes to and from these at the adapter (the table is in
/// `docs/envelope.md`); nothing protocol-specific travels inside the fabric.
public enum Status: String, Sendable, Hashable, CaseIterable, Codable {
    /// Done.
    case ok
    /// A retryable failure: try again later.
    case retry
    /// A terminal failure: retrying will not help.
    case error
    /// The deadline passed before an answer.
    case timeout
    /// Refused because of the request itself (bad input, too large).
    case rejected
    /// The fabric or a backend cannot take it now (overload, store failure).
    case unavailable
    /// No route or no handler for the type.
    case notFound = "not-found"
    /// No valid credentials.
    case unauthorized
    /// Valid credentials without the rights the route requires.
    case forbidden

    /// True when the outcome is worth another attempt.
    public var isRetryable: Bool {
        switch self {
        case .retry, .timeout, .unavailable: true
        default: false
        }
    }
}
