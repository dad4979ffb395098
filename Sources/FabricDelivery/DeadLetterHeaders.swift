import FabricCore

/// The headers of a dead letter, and of a replay made from one.
///
/// A dead letter keeps every header of the work message as it was stored (its
/// `Nats-Msg-Id` included, which also de-duplicates a dead-letter store made twice by
/// an instance that died between storing and terming), and adds the bookkeeping below.
public enum DeadLetterHeaders {
    /// The headers delivery adds; a replay removes them again.
    public static let bookkeeping: [String] = [
        HeaderName.deadLetterReason, HeaderName.originalSubject, HeaderName.firstFailure, HeaderName.lastFailure,
        HeaderName.attempt, HeaderName.error, HeaderName.status,
    ]

    /// The original headers plus reason, attempts, failure times, status and error.
    public static func make(
        original: Headers, originalSubject: String, reason: DeadLetterReason, attempts: Int, status: Status?, error: String,
        firstFailure: UInt64, lastFailure: UInt64
    ) -> Headers {
        var headers = original
        headers.set(HeaderName.deadLetterReason, reason.rawValue)
        headers.set(HeaderName.originalSubject, originalSubject)
        headers.set(HeaderName.firstFailure, String(min(firstFailure, lastFailure)))
        headers.set(HeaderName.lastFailure, String(lastFailure))
        headers.set(HeaderName.attempt, String(attempts))
        if let status { headers.set(HeaderName.status, status.rawValue) } else { headers.remove(HeaderName.status) }
        headers.set(HeaderName.error, error.isEmpty ? reason.rawValue : String(error.prefix(1024)))
        return headers
    }

    /// The headers of a work message replayed from `deadLetter`'s headers: bookkeeping
    /// removed, a fresh `Nats-Msg-Id` (the duplicate window must not swallow it), and no
    /// deadline or reply subject (the client that waited is long gone).
    public static func replay(_ deadLetter: Headers, service: String) -> Headers {
        var headers = deadLetter
        for name in bookkeeping { headers.remove(name) }
        headers.remove(HeaderName.deadline)
        headers.remove(HeaderName.replyTo)
        headers.remove("Nats-Expected-Stream")
        let id = headers[HeaderName.id] ?? "replay"
        headers.set(HeaderName.natsMsgId, "\(id).\(service).replay-\(FabricID.generate())")
        return headers
    }
}
