import Foundation

/// `nats:` — how every role connects to NATS.
public struct NATSConfig: Sendable, Hashable {
    /// `nats.tls:`.
    public struct TLSConfig: Sendable, Hashable {
        /// CA bundle to trust.
        public var caFile: String?
        /// Client certificate (mutual TLS).
        public var certFile: String?
        /// Client key.
        public var keyFile: String?
        /// Expected server host name.
        public var expectedHostname: String?
        /// Skip verification (development only).
        public var insecureSkipVerify: Bool
    }

    /// Server URLs.
    public var urls: [String]
    /// Connection name prefix.
    public var name: String
    /// User for user/password auth.
    public var user: String?
    /// Password.
    public var password: String?
    /// Token auth.
    public var token: String?
    /// `.creds` file.
    public var credentialsFile: String?
    /// NKey seed file.
    public var nkeySeedFile: String?
    /// NKey public key (with the seed file).
    public var nkeyPublicKey: String?
    /// TLS, when the section is present.
    public var tls: TLSConfig?
    /// One connection attempt.
    public var connectTimeout: Duration
    /// Between reconnect attempts.
    public var reconnectWait: Duration
    /// Random extra per attempt.
    public var reconnectJitter: Duration
    /// Attempts per server, -1 forever.
    public var maxReconnectAttempts: Int
    /// Publishes buffered while reconnecting.
    public var reconnectBufferBytes: Int
    /// Client ping interval.
    public var pingInterval: Duration
    /// Unanswered pings before reconnecting.
    public var maxPingsOut: Int
    /// Write every publish at once (see DESIGN.md).
    public var sendAsap: Bool
    /// Shared delivery threads; by default half the cores, one to four.
    public var deliveryThreads: Int
    /// Per-subscription nats.c pending limit (messages).
    public var pendingMessagesLimit: Int
    /// JetStream API timeout.
    public var jetstreamTimeout: Duration

    /// Half the cores, one to four. Each hop of a request wakes a delivery thread; on two
    /// cores a second one only adds thread switches (`docs/performance.md`).
    public static var defaultDeliveryThreads: Int {
        max(1, min(4, ProcessInfo.processInfo.activeProcessorCount / 2))
    }

    init(reader: ConfigReader) throws(ValidationError) {
        urls = try reader.strings("urls", default: ["nats://127.0.0.1:4222"])
        guard !urls.isEmpty else { throw reader.error("urls", "needs at least one URL") }
        for url in urls where !(url.hasPrefix("nats://") || url.hasPrefix("tls://")) {
            throw reader.error("urls", "'\(url)' must start with nats:// or tls://")
        }
        name = try reader.string("name", default: "fabric")
        user = try reader.optionalString("user")
        password = try reader.optionalString("password")
        token = try reader.optionalString("token")
        credentialsFile = try reader.optionalString("credentials_file")
        nkeySeedFile = try reader.optionalString("nkey_seed_file")
        nkeyPublicKey = try reader.optionalString("nkey_public_key")
        if nkeySeedFile != nil && nkeyPublicKey == nil {
            throw reader.error("nkey_public_key", "is required with nkey_seed_file")
        }
        if reader.has("tls") {
            let tlsReader = try reader.section("tls")
            tls = TLSConfig(
                caFile: try tlsReader.optionalString("ca_file"), certFile: try tlsReader.optionalString("cert_file"),
                keyFile: try tlsReader.optionalString("key_file"),
                expectedHostname: try tlsReader.optionalString("expected_hostname"),
                insecureSkipVerify: try tlsReader.bool("insecure_skip_verify", default: false))
            if tls?.certFile != nil && tls?.keyFile == nil { throw tlsReader.error("key_file", "is required with cert_file") }
            try tlsReader.finish()
        }
        connectTimeout = try reader.duration("connect_timeout", default: .seconds(2), minimum: .milliseconds(10))
        reconnectWait = try reader.duration("reconnect_wait", default: .milliseconds(250), minimum: .milliseconds(1))
        reconnectJitter = try reader.duration("reconnect_jitter", default: .milliseconds(100))
        maxReconnectAttempts = try reader.int("max_reconnect_attempts", default: -1, in: -1...Int(Int32.max))
        reconnectBufferBytes = try reader.bytes("reconnect_buffer", default: 8 << 20, in: 0...(1 << 30))
        pingInterval = try reader.duration("ping_interval", default: .seconds(20), minimum: .milliseconds(100))
        maxPingsOut = try reader.int("max_pings_out", default: 3, in: 1...100)
        sendAsap = try reader.bool("send_asap", default: true)
        deliveryThreads = try reader.int("delivery_threads", default: NATSConfig.defaultDeliveryThreads, in: 1...64)
        pendingMessagesLimit = try reader.int("pending_messages_limit", default: 65536, in: 1...10_000_000)
        jetstreamTimeout = try reader.duration("jetstream_timeout", default: .seconds(5), minimum: .milliseconds(10))
        try reader.finish()
    }
}
