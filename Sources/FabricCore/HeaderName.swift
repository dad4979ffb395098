/// The names of every header the fabric reads or writes, in one place.
///
/// `docs/envelope.md` has the table of meanings; keep the two in step.
public enum HeaderName {
    /// Envelope format version (`1`).
    public static let version = "Fabric-Version"
    /// Unique, time-sortable message id; also the base of `Nats-Msg-Id`.
    public static let id = "Fabric-Id"
    /// Message type, e.g. `order.created`.
    public static let type = "Fabric-Type"
    /// Protocol the message entered through.
    public static let source = "Fabric-Source"
    /// Creation time, milliseconds since the Unix epoch.
    public static let time = "Fabric-Time"
    /// Correlation id shared by a request and everything it causes.
    public static let correlationId = "Fabric-Correlation-Id"
    /// Subject-token encoded client id of the sending or receiving session.
    public static let client = "Fabric-Client"
    /// Verified principal (JWT `sub` by default).
    public static let principal = "Fabric-Principal"
    /// Verified roles, comma separated.
    public static let roles = "Fabric-Roles"
    /// Verified tenant.
    public static let tenant = "Fabric-Tenant"
    /// Other verified claims, a compact JSON object of strings.
    public static let claims = "Fabric-Claims"
    /// Client-facing topic in MQTT syntax.
    public static let topic = "Fabric-Topic"
    /// Priority class.
    public static let priority = "Fabric-Priority"
    /// Delivery guarantee of the route that carried the message.
    public static let delivery = "Fabric-Delivery"
    /// Outcome on replies.
    public static let status = "Fabric-Status"
    /// Attempt number (1-based) of an at-least-once delivery.
    public static let attempt = "Fabric-Attempt"
    /// Human-readable error on failed replies, retries and dead letters.
    public static let error = "Fabric-Error"
    /// What the publisher waits for: `none`, `ack` or `reply`.
    public static let expect = "Fabric-Expect"
    /// Reply subject of a request stored for at-least-once delivery.
    public static let replyTo = "Fabric-Reply-To"
    /// Absolute deadline, milliseconds since the Unix epoch.
    public static let deadline = "Fabric-Deadline"
    /// Partition number chosen by the router.
    public static let partition = "Fabric-Partition"
    /// Retry policy of the route, stamped when stored.
    public static let retry = "Fabric-Retry"
    /// Version of the rule set that routed the message.
    public static let routesVersion = "Fabric-Routes-Version"
    /// Cache policy of the route (TTL and vary), copied onto answers.
    public static let cache = "Fabric-Cache"
    /// Client idempotency key the id was derived from.
    public static let idempotencyKey = "Fabric-Idempotency-Key"
    /// What to do after the last failed attempt: `dead-letter` or `drop`, stamped at store time.
    public static let onFailure = "Fabric-On-Failure"
    /// Outbox stream sequence of a message delivered to a client.
    public static let sequence = "Fabric-Sequence"
    /// Route name that matched, for tracing and metrics.
    public static let route = "Fabric-Route"
    /// Reason a message was dead-lettered.
    public static let deadLetterReason = "Fabric-DLQ-Reason"
    /// Subject a dead letter was originally stored under.
    public static let originalSubject = "Fabric-Original-Subject"
    /// Time of the first failed attempt, milliseconds since the Unix epoch.
    public static let firstFailure = "Fabric-First-Failure"
    /// Time of the last failed attempt, milliseconds since the Unix epoch.
    public static let lastFailure = "Fabric-Last-Failure"
    /// Payload media type.
    public static let contentType = "Content-Type"
    /// W3C trace context parent.
    public static let traceparent = "traceparent"
    /// W3C trace context vendor state.
    public static let tracestate = "tracestate"
    /// JetStream de-duplication id.
    public static let natsMsgId = "Nats-Msg-Id"

    /// True for names a client may never set: `Fabric-*` and `Nats-*`, in any case.
    public static func isReserved(_ name: String) -> Bool {
        hasPrefixIgnoringCase(name, "fabric-") || hasPrefixIgnoringCase(name, "nats-")
    }

    private static func hasPrefixIgnoringCase(_ name: String, _ prefix: String) -> Bool {
        var nameBytes = name.utf8.makeIterator()
        for expected in prefix.utf8 {
            guard let byte = nameBytes.next() else { return false }
            let lower = (byte >= 65 && byte <= 90) ? byte | 0x20 : byte
            if lower != expected { return false }
        }
        return true
    }
}
