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

    /// The headers of a work message replayed to `service` from the dead letter stored at
    /// `sequence` in `FABRIC_DLQ`: bookkeeping removed, no deadline or reply subject (the
    /// client that waited is long gone), and `Nats-Msg-Id` =
    /// `<Fabric-Id>.<service>.replay-<sequence>`.
    ///
    /// That id is fresh against the original's entry in the duplicate window (which would
    /// swallow the replay) and the same for every run of the same replay: a replay
    /// retried after its store but before its removal from the DLQ, or two runs at once,
    /// store one work message.
    public static func replay(_ deadLetter: Headers, service: String, sequence: UInt64) -> Headers {
        var headers = deadLetter
        for name in bookkeeping { headers.remove(name) }
        headers.remove(HeaderName.deadline)
        headers.remove(HeaderName.replyTo)
        headers.remove("Nats-Expected-Stream")
        let id = headers[HeaderName.id] ?? "dlq"
        headers.set(HeaderName.natsMsgId, "\(id).\(service).replay-\(sequence)")
        return headers
    }
}
