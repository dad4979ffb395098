import FabricCore

/// What delivery does with a work message, decided from its attempt number, its retry
/// policy, its deadline and the outcome: pure, so every rule is tested without I/O.
enum AttemptVerdict: Sendable, Hashable {
    /// Make an attempt now (`before` only).
    case attempt
    /// Done: ack it.
    case ack
    /// Nak it; the server delivers it again after `delay`.
    case retry(after: Duration)
    /// No more attempts: dead-letter (or drop, as the route says) for `reason`.
    case finish(DeadLetterReason, status: Status?, error: String)

    /// Whether attempt `attempt` should be made at all: not when a verdict was already
    /// reached (`recorded`: its dead letter could not be stored, so the message came
    /// back to be finished, not attempted again), not past the deadline, and not beyond
    /// the policy's attempts (a crash can push the delivery count past it).
    static func before(
        attempt: Int, policy: RetryPolicy, deadline: UInt64?, now: UInt64, recorded: FailureRecord.Verdict? = nil
    ) -> AttemptVerdict {
        if let recorded { return .finish(recorded.reason, status: recorded.status, error: recorded.error) }
        if let deadline, deadline <= now {
            return .finish(.expired, status: .timeout, error: "deadline passed before attempt \(attempt)")
        }
        if attempt > policy.attempts {
            return .finish(
                .maxAttempts, status: .unavailable,
                error: "delivered \(attempt) times, the policy allows \(policy.attempts) attempts")
        }
        return .attempt
    }

    /// What follows attempt `attempt`'s outcome; `delay` draws the jittered backoff.
    static func after(
        _ outcome: AttemptOutcome, attempt: Int, policy: RetryPolicy, deadline: UInt64?, now: UInt64,
        delay: (Int) -> Duration
    ) -> AttemptVerdict {
        switch outcome {
        case .answered(.ok, _):
            return .ack
        case .answered(let status, let error) where !status.isRetryable:
            return .finish(.error, status: status, error: error ?? "backend answered \(status.rawValue)")
        default:
            break
        }
        if attempt >= policy.attempts {
            return .finish(
                .maxAttempts, status: .unavailable, error: "attempt \(attempt) of \(policy.attempts): \(outcome.description)")
        }
        let wait = delay(attempt)
        if let deadline, now + UInt64(max(0, wait.milliseconds)) >= deadline {
            return .finish(
                .expired, status: .timeout, error: "deadline passes before attempt \(attempt + 1): \(outcome.description)")
        }
        return .retry(after: wait)
    }
}
