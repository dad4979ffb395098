import FabricCore
import FabricNATS

/// One work message's record in `FABRIC_FAILURES`.
struct FailureRecord: Sendable, Hashable {
    /// The verdict on a message whose dead letter could not be stored yet: its next
    /// delivery stores the dead letter with these, without another attempt.
    struct Verdict: Sendable, Hashable {
        var reason: DeadLetterReason
        var status: Status?
        var error: String
        /// Attempts made.
        var attempts: Int
    }

    /// Its sequence in `FABRIC_FAILURES` (0 before it is written): the compare-and-set's expectation.
    var sequence: UInt64 = 0
    /// The first failed attempt, milliseconds since the epoch.
    var firstFailure: UInt64?
    /// Failed attempts so far (the verdict's attempts once there is one).
    var attempts: Int
    var verdict: Verdict?

    init(firstFailure: UInt64?, attempts: Int) {
        self.firstFailure = firstFailure
        self.attempts = attempts
    }

    init(_ message: StoredMessage) {
        let headers = message.headers
        sequence = message.sequence
        firstFailure = headers[HeaderName.firstFailure].flatMap { UInt64($0) }
        attempts = headers[HeaderName.attempt].flatMap { Int($0) } ?? 0
        if let reason = headers[HeaderName.deadLetterReason].flatMap(DeadLetterReason.init(rawValue:)) {
            verdict = Verdict(
                reason: reason, status: headers[HeaderName.status].flatMap(Status.init(rawValue:)),
                error: headers[HeaderName.error] ?? reason.rawValue, attempts: attempts)
        }
    }

    /// The headers it is stored with.
    var headers: Headers {
        var headers = Headers()
        if let firstFailure { headers.add(HeaderName.firstFailure, String(firstFailure)) }
        headers.add(HeaderName.attempt, String(attempts))
        if let verdict {
            headers.add(HeaderName.deadLetterReason, verdict.reason.rawValue)
            if let status = verdict.status { headers.add(HeaderName.status, status.rawValue) }
            headers.add(HeaderName.error, String(verdict.error.prefix(1024)))
        }
        return headers
    }
}
