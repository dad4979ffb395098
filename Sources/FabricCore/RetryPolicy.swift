import Foundation

/// How often and how far apart at-least-once attempts are made.
///
/// Stamped into `Fabric-Retry` when work is stored, so a rules reload cannot change the
/// policy of work already in flight.
public struct RetryPolicy: Sendable, Hashable {
    /// Total attempts, the first one included (1 = no retry).
    public var attempts: Int
    /// Delay before the second attempt.
    public var initial: Duration
    /// Upper bound of any delay.
    public var max: Duration
    /// Growth factor per attempt.
    public var multiplier: Double
    /// Relative jitter: a delay d becomes a uniform draw in d × [1 − jitter, 1 + jitter].
    public var jitter: Double

    /// The policy when a route names none.
    public static let `default` = RetryPolicy(
        attempts: 5, initial: .milliseconds(100), max: .seconds(10), multiplier: 2, jitter: 0.2)

    /// Creates a policy.
    public init(attempts: Int, initial: Duration, max: Duration, multiplier: Double, jitter: Double) {
        self.attempts = attempts
        self.initial = initial
        self.max = max
        self.multiplier = multiplier
        self.jitter = jitter
    }

    /// Checks the bounds: attempts 1–1000, initial > 0, max ≥ initial, multiplier ≥ 1, jitter 0–1.
    public func validate(path: String) throws(ValidationError) {
        guard (1...1000).contains(attempts) else { throw ValidationError(path: "\(path).attempts", reason: "must be 1...1000") }
        guard initial > .zero else { throw ValidationError(path: "\(path).backoff.initial", reason: "must be positive") }
        guard max >= initial else { throw ValidationError(path: "\(path).backoff.max", reason: "must be at least initial") }
        guard multiplier >= 1, multiplier <= 100 else {
            throw ValidationError(path: "\(path).backoff.multiplier", reason: "must be 1...100")
        }
        guard jitter >= 0, jitter <= 1 else { throw ValidationError(path: "\(path).backoff.jitter", reason: "must be 0...1") }
    }

    /// The delay before the attempt after `attempt` (1-based), before jitter.
    public func baseDelay(afterAttempt attempt: Int) -> Duration {
        let exponent = Double(Swift.max(0, attempt - 1))
        let millis = Double(initial.milliseconds) * pow(multiplier, exponent)
        let capped = Swift.min(millis, Double(max.milliseconds))
        return .milliseconds(Int64(capped))
    }

    /// The range a jittered delay after `attempt` falls in.
    public func delayBounds(afterAttempt attempt: Int) -> ClosedRange<Duration> {
        let base = Double(baseDelay(afterAttempt: attempt).milliseconds)
        return .milliseconds(
            Int64((base * (1 - jitter)).rounded(.down)))...(.milliseconds(Int64((base * (1 + jitter)).rounded(.up))))
    }

    /// A jittered delay after `attempt`.
    public func delay<R: RandomNumberGenerator>(afterAttempt attempt: Int, using generator: inout R) -> Duration {
        let base = Double(baseDelay(afterAttempt: attempt).milliseconds)
        let factor = jitter > 0 ? Double.random(in: (1 - jitter)...(1 + jitter), using: &generator) : 1
        return .milliseconds(Int64((base * factor).rounded()))
    }

    /// A jittered delay after `attempt`, from the system generator.
    public func delay(afterAttempt attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(afterAttempt: attempt, using: &generator)
    }

    /// The `Fabric-Retry` header value.
    public var headerValue: String {
        "attempts=\(attempts);initial=\(initial.milliseconds)ms;max=\(max.milliseconds)ms;multiplier=\(multiplier);jitter=\(jitter)"
    }

    /// Parses a `Fabric-Retry` header value.
    public init(headerValue: String) throws(ValidationError) {
        var policy = RetryPolicy.default
        for (key, value) in try HeaderParameters.parse(headerValue, header: HeaderName.retry) {
            switch key {
            case "attempts":
                guard let number = Int(value) else {
                    throw ValidationError(path: HeaderName.retry, reason: "attempts '\(value)' is not an integer")
                }
                policy.attempts = number
            case "initial": policy.initial = try Duration.parse(value)
            case "max": policy.max = try Duration.parse(value)
            case "multiplier":
                guard let number = Double(value) else {
                    throw ValidationError(path: HeaderName.retry, reason: "multiplier '\(value)' is not a number")
                }
                policy.multiplier = number
            case "jitter":
                guard let number = Double(value) else {
                    throw ValidationError(path: HeaderName.retry, reason: "jitter '\(value)' is not a number")
                }
                policy.jitter = number
            default:
                continue  // Unknown parameters come from newer versions; ignoring them keeps old roles working.
            }
        }
        try policy.validate(path: HeaderName.retry)
        self = policy
    }
}
