/// How to connect to NATS.
///
/// Defaults suit the fabric's request path: `sendAsap` writes each publish to the socket
/// at once (nats.c otherwise holds it for its flusher thread, about 1 ms per hop when
/// idle) and `globalMessageDelivery` delivers every subscription from a shared pool of
/// threads rather than one thread per subscription.
public struct NATSOptions: Sendable, Hashable {
    /// TLS settings.
    public struct TLS: Sendable, Hashable {
        /// PEM file of CAs to trust; nil uses the system's.
        public var caFile: String?
        /// PEM client certificate chain, for mutual TLS.
        public var certificateFile: String?
        /// PEM private key of the client certificate.
        public var keyFile: String?
        /// Host name expected in the server certificate.
        public var expectedHostname: String?
        /// Skip server verification (tests only).
        public var skipVerification: Bool

        /// Creates TLS settings.
        public init(
            caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, expectedHostname: String? = nil,
            skipVerification: Bool = false
        ) {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.expectedHostname = expectedHostname
            self.skipVerification = skipVerification
        }
    }

    /// Server URLs; nats.c picks among them and fails over.
    public var urls: [String]
    /// Connection name shown by the server's monitoring.
    public var name: String
    /// User for user/password auth.
    public var user: String?
    /// Password for user/password auth.
    public var password: String?
    /// Token auth.
    public var token: String?
    /// A `.creds` file (JWT + NKey seed).
    public var credentialsFile: String?
    /// NKey public key, with `nkeySeedFile`.
    public var nkeyPublicKey: String?
    /// File holding the NKey seed.
    public var nkeySeedFile: String?
    /// TLS; nil for plain TCP unless a `tls://` URL asks for it.
    public var tls: TLS?
    /// Timeout of one connection attempt.
    public var connectTimeout: Duration
    /// Keep retrying when no server answers at start, instead of failing.
    public var retryOnFailedConnect: Bool
    /// Reconnect attempts per server; -1 forever.
    public var maxReconnectAttempts: Int
    /// Wait between reconnect attempts to the same server.
    public var reconnectWait: Duration
    /// Random extra wait added to each reconnect attempt.
    public var reconnectJitter: Duration
    /// Bytes of publishes buffered while reconnecting.
    public var reconnectBufferBytes: Int
    /// Interval of client pings.
    public var pingInterval: Duration
    /// Unanswered pings before the connection counts as stale.
    public var maxPingsOut: Int
    /// Write each publish to the socket immediately.
    public var sendAsap: Bool
    /// With `sendAsap`: a publish that says `flush: false` from a handler of one of the
    /// connection's own subscriptions stays in nats.c's buffer until that subscription's
    /// burst of messages ends (at most 200 µs; `NATSWriteBuffer`); every other publish is
    /// written at once. Only for connections whose publishes all go through this module:
    /// nats.c's own (JetStream acks, PONGs, flow control) then wait for its flusher (1 ms).
    /// Without the verified nats.c (3.4.x) it does nothing.
    public var batchWhenBusy: Bool
    /// Deliver subscriptions from a shared thread pool.
    public var globalMessageDelivery: Bool
    /// Threads in the shared delivery pool (process-wide; the largest value asked wins).
    public var deliveryPoolSize: Int
    /// nats.c's per-subscription pending limit in messages before it reports a slow consumer.
    public var pendingMessagesLimit: Int
    /// nats.c's per-subscription pending limit in bytes.
    public var pendingBytesLimit: Int
    /// Timeout of JetStream API calls.
    public var jetStreamTimeout: Duration

    /// Creates options; everything but `urls` has a default.
    public init(
        urls: [String] = ["nats://127.0.0.1:4222"], name: String = "fabric", user: String? = nil, password: String? = nil,
        token: String? = nil, credentialsFile: String? = nil, nkeyPublicKey: String? = nil, nkeySeedFile: String? = nil,
        tls: TLS? = nil, connectTimeout: Duration = .seconds(2), retryOnFailedConnect: Bool = false,
        maxReconnectAttempts: Int = -1, reconnectWait: Duration = .milliseconds(250),
        reconnectJitter: Duration = .milliseconds(100), reconnectBufferBytes: Int = 8 << 20,
        pingInterval: Duration = .seconds(20), maxPingsOut: Int = 3, sendAsap: Bool = true, batchWhenBusy: Bool = false,
        globalMessageDelivery: Bool = true, deliveryPoolSize: Int = 2, pendingMessagesLimit: Int = 65536,
        pendingBytesLimit: Int = 64 << 20, jetStreamTimeout: Duration = .seconds(5)
    ) {
        self.urls = urls
        self.name = name
        self.user = user
        self.password = password
        self.token = token
        self.credentialsFile = credentialsFile
        self.nkeyPublicKey = nkeyPublicKey
        self.nkeySeedFile = nkeySeedFile
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.retryOnFailedConnect = retryOnFailedConnect
        self.maxReconnectAttempts = maxReconnectAttempts
        self.reconnectWait = reconnectWait
        self.reconnectJitter = reconnectJitter
        self.reconnectBufferBytes = reconnectBufferBytes
        self.pingInterval = pingInterval
        self.maxPingsOut = maxPingsOut
        self.sendAsap = sendAsap
        self.batchWhenBusy = batchWhenBusy
        self.globalMessageDelivery = globalMessageDelivery
        self.deliveryPoolSize = deliveryPoolSize
        self.pendingMessagesLimit = pendingMessagesLimit
        self.pendingBytesLimit = pendingBytesLimit
        self.jetStreamTimeout = jetStreamTimeout
    }
}

extension NATSOptions {
    /// True when publishes choose whether to write at once: `batchWhenBusy` on the nats.c
    /// whose internal publish was verified.
    var choosesFlushPerPublish: Bool { sendAsap && batchWhenBusy && NATSWireMessage.isAvailable }
}
