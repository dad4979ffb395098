import HTTPTypes

/// The HTTP header names the adapter reads and writes beyond the standard ones.
///
/// Clients never set `Fabric-*` headers (the adapter drops them), so everything a client
/// sends or reads here has an ordinary HTTP name; `docs/http.md` lists them.
enum HTTPHeader {
    /// Correlation id, taken from the request or created, returned on every answer.
    static let correlationID = HTTPField.Name("X-Correlation-Id")!
    /// The client's idempotency key for a publish or request.
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    /// The request's deadline, in seconds (`2.5`) or as a duration (`250ms`).
    static let requestTimeout = HTTPField.Name("Request-Timeout")!
    /// W3C trace context.
    static let traceparent = HTTPField.Name("traceparent")!
    /// W3C trace state.
    static let tracestate = HTTPField.Name("tracestate")!
    /// The client-chosen session the client id is made of (also the `session` query parameter).
    static let session = HTTPField.Name("X-Fabric-Session")!
    /// The client id of an event stream (returned).
    static let clientID = HTTPField.Name("X-Fabric-Client")!
    /// How a query was served: `HIT`, `MISS` or `COALESCED`.
    static let cacheStatus = HTTPField.Name("X-Cache")!
    /// Where a Server-Sent Events client resumes.
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    /// Tells nginx not to buffer an event stream.
    static let accelBuffering = HTTPField.Name("X-Accel-Buffering")!
}
