/// `http:` — the HTTP/1.1 and HTTP/2 adapter (`fabric adapter http`, `fabric up`).
///
/// Every limit has a safe default; `docs/configuration.md` lists every key.
public struct HTTPConfig: Sendable, Hashable {
    /// `http.tls:` — the TLS listener (HTTP/2 by ALPN, HTTP/1.1 fallback).
    public struct TLS: Sendable, Hashable {
        /// Port of the TLS listener (0 = any free port).
        public var port: Int
        /// PEM certificate chain.
        public var certFile: String
        /// PEM private key.
        public var keyFile: String
    }

    /// `http.limits:` — what one client may ask of the adapter.
    public struct Limits: Sendable, Hashable {
        /// Largest request body; larger is refused with 413 before anything is published.
        public var maxBodySize: Int
        /// Largest single header field (name and value) on HTTP/1.1.
        public var maxHeaderSize: Int
        /// Largest header block, all fields together.
        public var maxHeaderListSize: Int
        /// Most header fields in one request.
        public var maxHeaderCount: Int
        /// Open connections per listener; more wait in the accept backlog.
        public var maxConnections: Int
        /// Requests in flight at once on one HTTP/2 connection.
        public var maxConcurrentStreams: Int
        /// A connection with nothing in flight is closed after this.
        public var idleTimeout: Duration
        /// An HTTP/2 connection is asked to go away after this long (zero: never).
        public var maxConnectionAge: Duration
        /// Time an HTTP/2 client gets to finish its streams after the adapter's GOAWAY.
        public var gracefulCloseTimeout: Duration
    }

    /// `http.cache:` — the edge cache of idempotent answers.
    public struct Cache: Sendable, Hashable {
        /// Whether `GET /v1/query` answers are cached at all.
        public var enabled: Bool
        /// Entries in the in-process LRU in front of the `fabric-cache` bucket.
        public var memoryEntries: Int
        /// Bytes of payload in the in-process LRU.
        public var memoryBytes: Int
        /// Largest answer cached; larger answers are served but not kept.
        public var maxEntrySize: Int
        /// Whether entries are shared through the `fabric-cache` bucket (false: this instance only).
        public var shared: Bool
    }

    /// `http.events:` — Server-Sent Events streams.
    public struct Events: Sendable, Hashable {
        /// Messages queued per stream before the drop policy applies.
        public var buffer: Int
        /// What a full buffer does.
        public var dropPolicy: DropPolicy
        /// A comment line is sent this often so idle proxies keep the stream open.
        public var heartbeat: Duration
        /// Topic filters one stream may subscribe to.
        public var maxTopics: Int
        /// Open streams per adapter instance.
        public var maxStreams: Int
        /// Stored messages replayed on a `Last-Event-ID` resume, at most.
        public var maxReplay: Int
    }

    /// `http.token_cache:` — verified tokens remembered, so repeated requests skip the signature check.
    public struct TokenCache: Sendable, Hashable {
        /// Tokens remembered (0 turns the cache off).
        public var entries: Int
        /// Longest a verification is reused (never past the token's own `exp`).
        public var ttl: Duration
    }

    /// `http.shedding:` — priority load shedding.
    public struct Shedding: Sendable, Hashable {
        /// Requests in flight at which everything is refused.
        public var maxInFlight: Int
        /// Fraction of `maxInFlight` below which nothing is refused.
        public var highWatermark: Double
        /// `Retry-After` sent with a 503.
        public var retryAfter: Duration

        /// The policy these settings describe.
        public var policy: SheddingPolicy { SheddingPolicy(limit: maxInFlight, watermarkFraction: highWatermark) }
    }

    /// Address every listener binds.
    public var host: String
    /// Cleartext HTTP/1.1 port (0 = any free port, -1 = off).
    public var port: Int
    /// Cleartext HTTP/2 with prior knowledge port (0 = any free port, -1 = off).
    public var h2cPort: Int
    /// The TLS listener, when configured.
    public var tls: TLS?
    /// Per-client limits.
    public var limits: Limits
    /// Deadline of a request that sends no `Request-Timeout`.
    public var requestTimeout: Duration
    /// Longest deadline a client may ask for.
    public var maxRequestTimeout: Duration
    /// Client headers forwarded into the envelope (lower-cased); never `Fabric-*` or `Nats-*`.
    public var forwardHeaders: [String]
    /// The edge cache.
    public var cache: Cache
    /// Server-Sent Events.
    public var events: Events
    /// Load shedding.
    public var shedding: Shedding
    /// Verified tokens remembered.
    public var tokenCache: TokenCache
    /// The requests one turn of an event loop reads go to NATS in one write, on a
    /// connection of the adapter's own (`docs/architecture.md`).
    public var batchPublishes: Bool

    /// The defaults, as if the section were empty.
    public static var defaults: HTTPConfig { FabricConfig.defaults.http }

    init(reader: ConfigReader) throws(ValidationError) {
        host = try reader.string("host", default: "127.0.0.1")
        port = try reader.int("port", default: 8080, in: -1...65535)
        h2cPort = try reader.int("h2c_port", default: 8081, in: -1...65535)
        tls = try HTTPConfig.readTLS(reader.section("tls"))
        limits = try HTTPConfig.readLimits(reader.section("limits"))
        requestTimeout = try reader.duration("request_timeout", default: .seconds(30), minimum: .milliseconds(1))
        maxRequestTimeout = try reader.duration("max_request_timeout", default: .seconds(300), minimum: .milliseconds(1))
        if maxRequestTimeout < requestTimeout {
            throw reader.error("max_request_timeout", "must be at least request_timeout (\(requestTimeout.fabricDescription))")
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
        cache = try HTTPConfig.readCache(reader.section("cache"))
        events = try HTTPConfig.readEvents(reader.section("events"))
        shedding = try HTTPConfig.readShedding(reader.section("shedding"))
        let tokens = try reader.section("token_cache")
        tokenCache = TokenCache(
            entries: try tokens.int("entries", default: 10_000, in: 0...10_000_000),
            ttl: try tokens.duration("ttl", default: .seconds(30), minimum: .milliseconds(1)))
        try tokens.finish()
        batchPublishes = try reader.bool("batch_publishes", default: true)
        try reader.finish()
    }

    private static func readTLS(_ reader: ConfigReader) throws(ValidationError) -> TLS? {
        let port = try reader.port("port", default: 8443)
        let cert = try reader.optionalString("cert_file")
        let key = try reader.optionalString("key_file")
        try reader.finish()
        switch (cert, key) {
        case (nil, nil): return nil
        case (let cert?, let key?): return TLS(port: port, certFile: cert, keyFile: key)
        case (nil, _): throw reader.error("cert_file", "is required with key_file")
        case (_, nil): throw reader.error("key_file", "is required with cert_file")
        }
    }

    private static func readLimits(_ reader: ConfigReader) throws(ValidationError) -> Limits {
        let limits = Limits(
            maxBodySize: try reader.bytes("max_body_size", default: 1 << 20, in: 0...(64 << 20)),
            maxHeaderSize: try reader.bytes("max_header_size", default: 8 << 10, in: 256...(1 << 20)),
            maxHeaderListSize: try reader.bytes("max_header_list_size", default: 32 << 10, in: 1024...(4 << 20)),
            maxHeaderCount: try reader.int("max_header_count", default: 100, in: 1...10_000),
            maxConnections: try reader.int("max_connections", default: 10_000, in: 1...1_000_000),
            // Hummingbird 2.28.1 advertises 100 streams per connection; the adapter can only lower it.
            maxConcurrentStreams: try reader.int("max_concurrent_streams", default: 100, in: 1...100),
            idleTimeout: try reader.duration("idle_timeout", default: .seconds(60), minimum: .milliseconds(100)),
            maxConnectionAge: try reader.duration("max_connection_age", default: .zero),
            gracefulCloseTimeout: try reader.duration("graceful_close_timeout", default: .seconds(5), minimum: .milliseconds(10)))
        if limits.maxHeaderSize > limits.maxHeaderListSize {
            throw reader.error("max_header_size", "must not exceed max_header_list_size")
        }
        try reader.finish()
        return limits
    }

    private static func readCache(_ reader: ConfigReader) throws(ValidationError) -> Cache {
        let cache = Cache(
            enabled: try reader.bool("enabled", default: true),
            memoryEntries: try reader.int("memory_entries", default: 10_000, in: 0...10_000_000),
            memoryBytes: try reader.bytes("memory_bytes", default: 64 << 20, in: 0...(16 << 30)),
            maxEntrySize: try reader.bytes("max_entry_size", default: 256 << 10, in: 0...(1 << 20)),
            shared: try reader.bool("shared", default: true))
        try reader.finish()
        return cache
    }

    private static func readEvents(_ reader: ConfigReader) throws(ValidationError) -> Events {
        let events = Events(
            buffer: try reader.int("buffer", default: 256, in: 1...1_000_000),
            dropPolicy: try reader.choice("drop_policy", default: .dropOldest),
            heartbeat: try reader.duration("heartbeat", default: .seconds(15), minimum: .milliseconds(100)),
            maxTopics: try reader.int("max_topics", default: 16, in: 1...1000),
            maxStreams: try reader.int("max_streams", default: 10_000, in: 1...1_000_000),
            maxReplay: try reader.int("max_replay", default: 1000, in: 0...1_000_000))
        try reader.finish()
        return events
    }

    private static func readShedding(_ reader: ConfigReader) throws(ValidationError) -> Shedding {
        let shedding = Shedding(
            maxInFlight: try reader.int("max_in_flight", default: 4096, in: 1...10_000_000),
            highWatermark: try reader.double("high_watermark", default: 0.75, in: 0...1),
            retryAfter: try reader.duration("retry_after", default: .seconds(1), minimum: .seconds(1)))
        try reader.finish()
        return shedding
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        MessageType.isTokenByte(byte) || Array("!#$%&'*+.^`|~".utf8).contains(byte)
    }
}
