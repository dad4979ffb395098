/// `delivery:` — the delivery service: at-least-once attempts, retries, the outbox pumps.
public struct DeliveryConfig: Sendable, Hashable {
    /// Settings of one service that differ from the defaults.
    public struct Service: Sendable, Hashable {
        /// Attempts in flight at once for this service (its consumer's `MaxAckPending`).
        public var concurrency: Int
        /// Longest wait for one attempt's answer (the message's own deadline may cut it shorter).
        public var attemptTimeout: Duration

        /// Creates settings.
        public init(concurrency: Int, attemptTimeout: Duration) {
            self.concurrency = concurrency
            self.attemptTimeout = attemptTimeout
        }
    }

    /// `delivery.outbox:` — at-least-once messages to clients.
    public struct Outbox: Sendable, Hashable {
        /// How long an adapter may take to confirm that its client acknowledged a frame.
        public var ackTimeout: Duration
        /// Wait before sending a frame again after a timeout or an error.
        public var retryDelay: Duration
        /// How often an active client's queue is checked when no new-message hint came.
        public var pollInterval: Duration
        /// How often expired queued messages are removed (and counted).
        public var expiryInterval: Duration
        /// Clients whose queue depth gets its own gauge (the deepest ones).
        public var topClients: Int

        init(reader: ConfigReader) throws(ValidationError) {
            ackTimeout = try reader.duration("ack_timeout", default: .seconds(30), minimum: .milliseconds(10))
            retryDelay = try reader.duration("retry_delay", default: .seconds(1), minimum: .milliseconds(1))
            pollInterval = try reader.duration("poll_interval", default: .seconds(1), minimum: .milliseconds(10))
            expiryInterval = try reader.duration("expiry_interval", default: .seconds(10), minimum: .milliseconds(100))
            topClients = try reader.int("top_clients", default: 10, in: 0...1000)
            try reader.finish()
        }
    }

    /// Default attempts in flight per service.
    public var concurrency: Int
    /// Default longest wait for one attempt's answer.
    public var attemptTimeout: Duration
    /// How long the server waits for an instance's verdict before giving the message to
    /// another instance; attempts in progress renew it (in-progress acks).
    public var ackWait: Duration
    /// How often `FABRIC_WORK` is checked for services that have no consumer yet.
    public var discoveryInterval: Duration
    /// Lifetime of one pull request; a request lost with its server is renewed after it.
    public var pullExpiry: Duration
    /// How often consumer lag and outbox depth are measured for metrics.
    public var metricsInterval: Duration
    /// Services consumed from the start, with their own settings (others are discovered).
    public var services: [String: Service]
    /// The outbox.
    public var outbox: Outbox

    init(reader: ConfigReader) throws(ValidationError) {
        concurrency = try reader.int("concurrency", default: 64, in: 1...100_000)
        attemptTimeout = try reader.duration("attempt_timeout", default: .seconds(30), minimum: .milliseconds(10))
        ackWait = try reader.duration("ack_wait", default: .seconds(30), minimum: .milliseconds(300))
        discoveryInterval = try reader.duration("discovery_interval", default: .seconds(1), minimum: .milliseconds(10))
        pullExpiry = try reader.duration("pull_expiry", default: .seconds(5), minimum: .milliseconds(100))
        metricsInterval = try reader.duration("metrics_interval", default: .seconds(5), minimum: .milliseconds(10))
        let section = try reader.section("services")
        var services: [String: Service] = [:]
        for name in section.keys {
            do { try MessageType.validateService(name) } catch { throw section.error(name, error.reason) }
            let service = try section.section(name)
            services[name] = Service(
                concurrency: try service.int("concurrency", default: concurrency, in: 1...100_000),
                attemptTimeout: try service.duration("attempt_timeout", default: attemptTimeout, minimum: .milliseconds(10)))
            try service.finish()
        }
        try section.finish()
        self.services = services
        outbox = try Outbox(reader: reader.section("outbox"))
        try reader.finish()
    }

    /// The settings of `service`: its own section, or the defaults.
    public func settings(for service: String) -> Service {
        services[service] ?? Service(concurrency: concurrency, attemptTimeout: attemptTimeout)
    }
}
