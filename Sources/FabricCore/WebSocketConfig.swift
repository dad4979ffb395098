import Foundation

/// `ws:` — the WebSocket adapter (`fabric adapter ws`, `fabric up`).
///
/// Every limit has a safe default; `docs/configuration.md` lists every key and
/// `docs/websocket.md` what each does.
public struct WebSocketConfig: Sendable, Hashable {
    /// `ws.tls:` — the listener speaks TLS (`wss://`) when both files are set.
    public struct TLS: Sendable, Hashable {
        /// PEM certificate chain.
        public var certFile: String
        /// PEM private key.
        public var keyFile: String
    }

    /// `ws.limits:` — what one client may ask of the adapter.
    public struct Limits: Sendable, Hashable {
        /// Largest WebSocket frame taken from a client (larger: close 1009).
        public var maxFrameSize: Int
        /// Largest WebSocket message (frames of one message together; larger: close 1009).
        public var maxMessageSize: Int
        /// Largest payload published into the fabric (never more than the server's `max_payload`).
        public var maxPayload: Int
        /// Open connections per instance; more are refused with 503 before the upgrade.
        public var maxConnections: Int
        /// Publishes and requests of one connection waiting for their answer at once.
        public var maxInFlight: Int
        /// Topic filters one connection may subscribe to.
        public var maxSubscriptions: Int
        /// Messages per second one connection may send (a token bucket refilled at this rate).
        public var rate: Int
        /// Messages a connection may send at once above the rate.
        public var burst: Int
        /// Kernel send buffer of each connection's socket, in bytes (0: the system's default).
        public var sendBuffer: Int
    }

    /// `ws.buffer:` — the bounded buffer between the fabric and each client socket.
    public struct Buffer: Sendable, Hashable {
        /// Messages queued per connection before the drop policy applies.
        public var size: Int
        /// What a full buffer does.
        public var dropPolicy: DropPolicy
    }

    /// `ws.subscribe:` — which topic filters a client may subscribe to.
    public struct Subscribe: Sendable, Hashable {
        /// Filters every client may use; `{principal}` and `{tenant}` stand for the caller's own.
        public var allow: [String]
        /// Claim holding further filters for that caller (a list of strings); empty: none.
        public var claim: String

        /// Creates the settings.
        public init(allow: [String], claim: String) {
            self.allow = allow
            self.claim = claim
        }
    }

    /// Address the listener binds.
    public var host: String
    /// Listener port (0 = any free port, -1 = off).
    public var port: Int
    /// TLS for the listener, when configured.
    public var tls: TLS?
    /// Client headers (from a frame's `headers`) forwarded into the envelope, lower-cased.
    public var forwardHeaders: [String]
    /// Deadline of a request frame without `timeout`.
    public var requestTimeout: Duration
    /// Longest deadline a client may ask for.
    public var maxRequestTimeout: Duration
    /// A ping is sent this often; a client that has not answered the previous one by then is closed.
    public var pingInterval: Duration
    /// How long the adapter waits for the client's close frame after sending its own.
    public var closeTimeout: Duration
    /// How long a new connection has to send its upgrade request (and be upgraded).
    public var handshakeTimeout: Duration
    /// How long a graceful shutdown lets each connection flush its buffer before closing it.
    public var drainTimeout: Duration
    /// Per-client limits.
    public var limits: Limits
    /// The outbound buffer.
    public var buffer: Buffer
    /// Topic permissions.
    public var subscribe: Subscribe
    /// Load shedding (the same rule as HTTP).
    public var shedding: HTTPConfig.Shedding
    /// Verified tokens remembered.
    public var tokenCache: HTTPConfig.TokenCache

    /// The defaults, as if the section were empty.
    public static var defaults: WebSocketConfig { FabricConfig.defaults.ws }

    init(reader: ConfigReader) throws(ValidationError) {
        host = try reader.string("host", default: "127.0.0.1")
        port = try reader.int("port", default: 8090, in: -1...65535)
        let tls = try reader.section("tls")
        let cert = try tls.optionalString("cert_file")
        let key = try tls.optionalString("key_file")
        try tls.finish()
        switch (cert, key) {
        case (nil, nil): self.tls = nil
        case (let cert?, let key?): self.tls = TLS(certFile: cert, keyFile: key)
        case (nil, _): throw tls.error("cert_file", "is required with key_file")
        case (_, nil): throw tls.error("key_file", "is required with cert_file")
        }
        forwardHeaders = try reader.strings("forward_headers", default: []).map { $0.lowercased() }
        for name in forwardHeaders {
            if HeaderName.isReserved(name) {
                throw reader.error("forward_headers", "'\(name)' is reserved (Fabric-* and Nats-* are never taken from clients)")
            }
            if ["authorization", "cookie", "traceparent", "tracestate", "content-type"].contains(name) {
                throw reader.error("forward_headers", "'\(name)' is never forwarded as a header (the adapter handles it)")
            }
            guard !name.isEmpty, name.utf8.allSatisfy(HTTPConfig.isTokenByte) else {
                throw reader.error("forward_headers", "'\(name)' is not a header name")
            }
        }
        requestTimeout = try reader.duration("request_timeout", default: .seconds(30), minimum: .milliseconds(1))
        maxRequestTimeout = try reader.duration("max_request_timeout", default: .seconds(300), minimum: .milliseconds(1))
        if maxRequestTimeout < requestTimeout {
            throw reader.error("max_request_timeout", "must be at least request_timeout (\(requestTimeout.fabricDescription))")
        }
        pingInterval = try reader.duration("ping_interval", default: .seconds(30), minimum: .milliseconds(10))
        closeTimeout = try reader.duration("close_timeout", default: .seconds(5), minimum: .milliseconds(10))
        handshakeTimeout = try reader.duration("handshake_timeout", default: .seconds(10), minimum: .milliseconds(10))
        drainTimeout = try reader.duration("drain_timeout", default: .seconds(10), minimum: .zero)
        limits = try WebSocketConfig.readLimits(reader.section("limits"))
        let buffer = try reader.section("buffer")
        self.buffer = Buffer(
            size: try buffer.int("size", default: 256, in: 1...1_000_000),
            dropPolicy: try buffer.choice("drop_policy", default: .dropOldest))
        try buffer.finish()
        let subscribe = try reader.section("subscribe")
        self.subscribe = Subscribe(
            allow: try subscribe.strings("allow", default: ["#"]), claim: try subscribe.string("claim", default: "topics"))
        for pattern in self.subscribe.allow {
            let filled = pattern.replacingOccurrences(of: "{principal}", with: "p").replacingOccurrences(
                of: "{tenant}", with: "t")
            do { _ = try TopicFilter(filled) } catch { throw subscribe.error("allow", "'\(pattern)': \(error.reason)") }
        }
        try subscribe.finish()
        let shedding = try reader.section("shedding")
        self.shedding = HTTPConfig.Shedding(
            maxInFlight: try shedding.int("max_in_flight", default: 4096, in: 1...10_000_000),
            highWatermark: try shedding.double("high_watermark", default: 0.75, in: 0...1),
            retryAfter: try shedding.duration("retry_after", default: .seconds(1), minimum: .seconds(1)))
        try shedding.finish()
        let tokens = try reader.section("token_cache")
        tokenCache = HTTPConfig.TokenCache(
            entries: try tokens.int("entries", default: 10_000, in: 0...10_000_000),
            ttl: try tokens.duration("ttl", default: .seconds(30), minimum: .milliseconds(1)))
        try tokens.finish()
        try reader.finish()
    }

    private static func readLimits(_ reader: ConfigReader) throws(ValidationError) -> Limits {
        let limits = Limits(
            maxFrameSize: try reader.bytes("max_frame_size", default: 2 << 20, in: 1024...(64 << 20)),
            maxMessageSize: try reader.bytes("max_message_size", default: 2 << 20, in: 1024...(64 << 20)),
            maxPayload: try reader.bytes("max_payload", default: 1 << 20, in: 0...(64 << 20)),
            maxConnections: try reader.int("max_connections", default: 10_000, in: 1...1_000_000),
            maxInFlight: try reader.int("max_in_flight", default: 64, in: 1...100_000),
            maxSubscriptions: try reader.int("max_subscriptions", default: 64, in: 0...10_000),
            rate: try reader.int("rate", default: 1000, in: 1...10_000_000),
            burst: try reader.int("burst", default: 2000, in: 1...10_000_000),
            sendBuffer: try reader.bytes("send_buffer", default: 0, in: 0...(64 << 20)))
        if limits.maxFrameSize > limits.maxMessageSize {
            throw reader.error("max_frame_size", "must not exceed max_message_size")
        }
        try reader.finish()
        return limits
    }
}
