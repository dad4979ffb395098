import FabricCore

/// A message a client publishes or sends as a request, as read from its frame.
struct OutgoingMessage: Sendable {
    /// Message type (checked).
    var type: String
    /// The payload bytes, untouched: the raw JSON of `payload`, the decoded `payload_base64`,
    /// or a binary frame's bytes.
    var payload: [UInt8]
    /// Media type: `application/json` for `payload`, else the frame's `content_type`.
    var contentType: String?
    /// The client's idempotency key (a publish's `id`).
    var key: String?
    /// Topic name (MQTT syntax, no wildcards).
    var topic: String?
    /// The client's correlation id.
    var correlationID: String?
    /// W3C trace parent, only when valid.
    var traceparent: String?
    /// W3C trace state, only beside a valid trace parent.
    var tracestate: String?
    /// The frame's `headers`, names lower-cased (filtered by the adapter's `forward_headers`).
    var headers: [(name: String, value: String)]
    /// The deadline the client asks for.
    var timeout: Duration?
}
