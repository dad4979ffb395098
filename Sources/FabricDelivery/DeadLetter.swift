import FabricCore
import FabricNATS

/// One dead letter in full: bookkeeping, every header, the body.
public struct DeadLetter: Sendable, Hashable {
    /// The bookkeeping.
    public var summary: DeadLetterSummary
    /// Subject in `FABRIC_DLQ`.
    public var subject: String
    /// Every header: the original ones and delivery's.
    public var headers: Headers
    /// The body, untouched.
    public var payload: [UInt8]

    init(_ message: StoredMessage) {
        subject = message.subject
        headers = message.headers
        payload = message.payload
        let headers = message.headers
        summary = DeadLetterSummary(
            sequence: message.sequence, subject: message.subject, time: message.time, size: message.payload.count,
            header: { headers[$0] })
    }
}
