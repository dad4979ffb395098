import FabricCore

/// What a client sends, in protocol-neutral terms.
public struct ConformanceMessage: Sendable {
    /// Message type.
    public var type: String
    /// Body.
    public var payload: [UInt8]
    /// The JWT, nil for none; every protocol carries it its own way.
    public var token: String?
    /// Client metadata: HTTP headers, gRPC metadata, MQTT user properties, WebSocket frame headers.
    public var metadata: [(name: String, value: String)]
    /// The client's idempotency key.
    public var idempotencyKey: String?
    /// How long the client waits (the request's deadline); nil for the adapter's default.
    public var timeout: Duration?

    /// Creates a message.
    public init(
        type: String, payload: [UInt8] = Array("{}".utf8), token: String?, metadata: [(name: String, value: String)] = [],
        idempotencyKey: String? = nil, timeout: Duration? = nil
    ) {
        self.type = type
        self.payload = payload
        self.token = token
        self.metadata = metadata
        self.idempotencyKey = idempotencyKey
        self.timeout = timeout
    }
}
