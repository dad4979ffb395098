import FabricCore
import FabricDelivery
import FabricNATS
import FabricTestSupport
import Logging
import ServiceLifecycle
import Synchronization

/// A real nats-server with the fabric's streams, a connection, and delivery services run
/// in a `ServiceGroup` while a test body runs.
struct DeliveryHarness {
    let server: NATSServer
    let connection: NATSConnection
    let jetStream: JetStream
    let config: FabricConfig
    /// Processes a test started, stopped with the harness however the test ends.
    let children = ChildProcesses()

    /// Runs `body` against a fresh harness and stops it (server, children) however `body` ends.
    static func run<Result>(
        yaml: String = "", environment: [String: String] = [:], inMemory: Bool = true,
        _ body: (DeliveryHarness) async throws -> Result
    ) async throws -> Result {
        let harness = try await start(yaml: yaml, environment: environment, inMemory: inMemory)
        do {
            let result = try await body(harness)
            await harness.stop()
            return result
        } catch {
            await harness.stop()
            throw error
        }
    }

    static let logger: Logger = {
        var logger = Logger(label: "delivery-test")
        logger.logLevel = .warning
        return logger
    }()

    /// Short intervals so tests wait on events, not on timers.
    static let testSettings = """
        delivery:
          discovery_interval: 50ms
          ack_wait: 3s
          pull_expiry: 2s
          metrics_interval: 100ms
          outbox: { ack_timeout: 3s, retry_delay: 50ms, poll_interval: 200ms, expiry_interval: 100ms }
        """

    /// Starts a server; `environment` overrides settings as `FABRIC_*` variables do.
    static func start(
        yaml: String = "", environment: [String: String] = [:], inMemory: Bool = true
    ) async throws
        -> DeliveryHarness
    {
        let server = try await NATSServer.start()
        let connection = try await NATSConnection.connect(
            NATSOptions(urls: [server.url], name: "delivery-test", reconnectWait: .milliseconds(50)), logger: logger)
        let jetStream = try JetStream(connection)
        let config = try FabricConfig(
            reader: ConfigReader.parse(yaml: testSettings + "\n" + yaml, environment: environment))
        var settings = config.jetstream
        settings.inMemory = inMemory
        try await FabricTopology(config: settings).ensure(on: jetStream)
        return DeliveryHarness(server: server, connection: connection, jetStream: jetStream, config: config)
    }

    /// A delivery service over this harness's connection.
    func delivery() -> DeliveryService {
        DeliveryService(jetStream: jetStream, config: config, logger: DeliveryHarness.logger)
    }

    /// Runs `services` while `body` runs, then shuts them down gracefully.
    func with<Result: Sendable>(_ services: [any Service], _ body: () async throws -> Result) async throws -> Result {
        try await withServices(services, logger: DeliveryHarness.logger, body)
    }

    func stop() async {
        await children.stopAll()
        connection.close()
        await server.stop()
    }

    /// Stores a work message the way the router does for an at-least-once route.
    @discardableResult
    func storeWork(
        service: String, id: String = FabricID.generate(), payload: String = "{}", retry: RetryPolicy = .default,
        onFailure: Route.OnFailure = .deadLetter, replyTo: String? = nil, deadline: UInt64? = nil,
        extra: [(String, String)] = []
    ) async throws -> PublishAck {
        var envelope = Envelope(type: "job.test", source: .http, payload: Array(payload.utf8), id: id)
        envelope.correlationID = "corr-\(id)"
        envelope.claims = Claims(principal: "tester", roles: ["a", "b"], tenant: "acme")
        envelope.contentType = "application/json"
        envelope.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        envelope.deadline = deadline
        for (name, value) in extra { envelope.extra.add(name, value) }
        var headers = envelope.headers
        headers.set(HeaderName.routesVersion, "test:1")
        headers.set(HeaderName.route, "test-route")
        headers.set(HeaderName.delivery, Delivery.atLeastOnce.rawValue)
        headers.set(HeaderName.retry, retry.headerValue)
        headers.set(HeaderName.onFailure, onFailure.rawValue)
        if let replyTo { headers.set(HeaderName.replyTo, replyTo) }
        return try await jetStream.publish(
            FabricNames.Subject.work(service: service), headers: headers, payload: Array(payload.utf8),
            messageID: "\(id).\(service)", expectedStream: FabricNames.Stream.work)
    }

    /// Stores a dead letter as delivery writes one; returns its sequence in `FABRIC_DLQ`.
    @discardableResult
    func storeDeadLetter(
        service: String, reason: DeadLetterReason, id: String = FabricID.generate(),
        payload: [UInt8] = Array(#"{"order":42}"#.utf8)
    ) async throws -> UInt64 {
        var envelope = Envelope(type: "order.created", source: .http, payload: payload, id: id)
        envelope.contentType = "application/json"
        var original = envelope.headers
        original.set(HeaderName.natsMsgId, "\(id).\(service)")
        let now = WallClock.nowMillis()
        let headers = DeadLetterHeaders.make(
            original: original, originalSubject: FabricNames.Subject.work(service: service), reason: reason, attempts: 3,
            status: reason == .error ? .error : .unavailable, error: "it broke", firstFailure: now - 500, lastFailure: now)
        return try await jetStream.publish(
            FabricNames.Subject.deadLetter(service: service), headers: headers, payload: payload,
            messageID: "\(id).\(service)", expectedStream: FabricNames.Stream.deadLetter
        ).sequence
    }

    /// Messages stored in a stream now.
    func count(_ stream: String, subject: String? = nil) async throws -> UInt64 {
        let info = try await jetStream.streamInfo(stream, subjectsFilter: subject)
        guard let subject else { return info.messages }
        return info.subjects[subject] ?? 0
    }
}
