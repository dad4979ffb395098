import FabricCore
import FabricNATS

/// One dead letter as `fabric dlq list` shows it: its bookkeeping, without the body.
///
/// The JSON form (`--json`) is a contract for scripts: the keys below, times in RFC 3339
/// UTC, absent values as `null`.
public struct DeadLetterSummary: Sendable, Hashable, Encodable {
    /// Sequence in `FABRIC_DLQ` (what `show`, `replay` take).
    public var sequence: UInt64
    /// Service it was for (from `fabric.dlq.<service>`).
    public var service: String
    /// When it was dead-lettered, nanoseconds since the epoch.
    public var time: Int64
    /// `Fabric-DLQ-Reason` (`error`, `max-attempts`, `expired`).
    public var reason: String
    /// Attempts made.
    public var attempts: Int?
    /// `Fabric-Id`.
    public var id: String?
    /// `Fabric-Type`.
    public var type: String?
    /// Last status (`Fabric-Status`).
    public var status: String?
    /// Last error text (`Fabric-Error`).
    public var error: String?
    /// First failed attempt, milliseconds since the epoch.
    public var firstFailure: UInt64?
    /// Last failed attempt, milliseconds since the epoch.
    public var lastFailure: UInt64?
    /// Subject it was stored under in `FABRIC_WORK`.
    public var originalSubject: String?
    /// Body size in bytes.
    public var size: Int?

    enum CodingKeys: String, CodingKey {
        case sequence, service, time, reason, attempts, id, type, status, error
        case firstFailure = "first_failure"
        case lastFailure = "last_failure"
        case originalSubject = "original_subject"
        case size
    }

    /// Reads the bookkeeping through `header`, which returns a header's first value.
    init(sequence: UInt64, subject: String, time: Int64, size: Int?, header: (String) -> String?) {
        self.sequence = sequence
        service =
            subject.hasPrefix(FabricNames.Subject.deadLetterPrefix)
            ? String(subject.dropFirst(FabricNames.Subject.deadLetterPrefix.count)) : subject
        self.time = time
        reason = header(HeaderName.deadLetterReason) ?? "unknown"
        attempts = header(HeaderName.attempt).flatMap { Int($0) }
        id = header(HeaderName.id)
        type = header(HeaderName.type)
        status = header(HeaderName.status)
        error = header(HeaderName.error)
        firstFailure = header(HeaderName.firstFailure).flatMap { UInt64($0) }
        lastFailure = header(HeaderName.lastFailure).flatMap { UInt64($0) }
        originalSubject = header(HeaderName.originalSubject)
        self.size = size
    }

    /// From a message read headers-only (its body size is in `Nats-Msg-Size`).
    static func read(_ message: borrowing NATSMessageView, _ metadata: JetStreamMetadata) -> DeadLetterSummary {
        var values: [String: String] = [:]
        for name in [
            HeaderName.deadLetterReason, HeaderName.attempt, HeaderName.id, HeaderName.type, HeaderName.status,
            HeaderName.error, HeaderName.firstFailure, HeaderName.lastFailure, HeaderName.originalSubject, "Nats-Msg-Size",
        ] {
            if let value = message.header(name) { values[name] = value }
        }
        return DeadLetterSummary(
            sequence: metadata.streamSequence, subject: message.subject, time: metadata.timestamp,
            size: values["Nats-Msg-Size"].flatMap { Int($0) }, header: { values[$0] })
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sequence, forKey: .sequence)
        try container.encode(service, forKey: .service)
        try container.encode(RFC3339.format(time, fractionDigits: 3), forKey: .time)
        try container.encode(reason, forKey: .reason)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(id, forKey: .id)
        try container.encode(type, forKey: .type)
        try container.encode(status, forKey: .status)
        try container.encode(error, forKey: .error)
        try container.encode(firstFailure.map { RFC3339.format(Int64($0) * 1_000_000, fractionDigits: 3) }, forKey: .firstFailure)
        try container.encode(lastFailure.map { RFC3339.format(Int64($0) * 1_000_000, fractionDigits: 3) }, forKey: .lastFailure)
        try container.encode(originalSubject, forKey: .originalSubject)
        try container.encode(size, forKey: .size)
    }
}
