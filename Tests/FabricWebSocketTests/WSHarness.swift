import FabricAuth
import FabricConformance
import FabricCore
import FabricDelivery
import FabricNATS
import FabricTestSupport
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// A real nats-server (with its monitoring port) and the fabric's streams, the keys of the
/// conformance suite, and helpers to start adapters, delivery and child processes.
struct WSHarness: Sendable {
    let server: NATSServer
    let monitorPort: Int
    let connection: NATSConnection
    let jetStream: JetStream
    let tokens: ConformanceTokens
    let auth: AuthConfig
    let config: FabricConfig
    let directory: String
    let jwksFile: String
    /// Processes a test started, stopped with the harness however the test ends.
    let children = ChildProcesses()

    static let logger: Logger = {
        var logger = Logger(label: "ws-harness")
        logger.logLevel = .warning
        return logger
    }()

    /// Short delivery intervals, so tests wait on events rather than timers.
    static let deliverySettings = """
        delivery:
          discovery_interval: 50ms
          metrics_interval: 100ms
          outbox: { ack_timeout: 3s, retry_delay: 50ms, poll_interval: 200ms, expiry_interval: 100ms }
        """

    /// Runs `body` against a fresh harness and stops everything however it ends.
    /// With `monitor`, the server also serves its monitoring endpoints (`/connz`).
    static func run<Result>(monitor: Bool = false, _ body: (WSHarness) async throws -> Result) async throws -> Result {
        let harness = try await start(monitor: monitor)
        do {
            let result = try await body(harness)
            await harness.stop()
            return result
        } catch {
            await harness.stop()
            throw error
        }
    }

    private static func start(monitor: Bool) async throws -> WSHarness {
        let directory = try makeTemporaryDirectory("fabric-ws")
        var monitorPort = 0
        var started: NATSServer?
        // A free port can be taken by a parallel test before the server binds it: try another.
        for attempt in 1...5 where started == nil {
            monitorPort = monitor ? try FreePort.next() : 0
            do {
                started = try await NATSServer.start(extraArguments: monitor ? ["-m", String(monitorPort)] : [])
            } catch {
                if attempt == 5 { throw error }
            }
        }
        guard let server = started else { throw WSTestError("no nats-server") }
        let connection = try await NATSConnection.connect(
            NATSOptions(urls: [server.url], name: "ws-harness", reconnectWait: .milliseconds(50)), logger: logger)
        let jetStream = try JetStream(connection)
        let tokens = ConformanceTokens()
        let jwksFile = "\(directory)/jwks.json"
        try tokens.jwks.write(toFile: jwksFile, atomically: true, encoding: .utf8)
        let config = try FabricConfig(
            reader: ConfigReader.parse(
                yaml: """
                    auth:
                      jwks_file: \(jwksFile)
                      issuer: \(ConformanceTokens.issuer)
                      audience: [\(ConformanceTokens.audience)]
                      leeway: 0s
                    jetstream: { in_memory: true }
                    \(deliverySettings)
                    """))
        try await FabricTopology(config: config.jetstream).ensure(on: jetStream)
        return WSHarness(
            server: server, monitorPort: monitorPort, connection: connection, jetStream: jetStream, tokens: tokens,
            auth: config.auth, config: config, directory: directory, jwksFile: jwksFile)
    }

    private func stop() async {
        await children.stopAll()
        connection.close()
        await server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A new adapter on this server (not yet running); `yaml` goes inside `ws:`.
    func adapter(yaml: String = "", name: String = "ws-adapter") async throws -> WSTestAdapter {
        try await WSTestAdapter.make(natsURL: server.url, auth: auth, yaml: yaml, name: name)
    }

    /// A delivery service on its own connection.
    func delivery() async throws -> DeliveryService {
        let connection = try await NATSConnection.connect(
            NATSOptions(urls: [server.url], name: "ws-delivery"), logger: WSHarness.logger)
        return DeliveryService(jetStream: try JetStream(connection), config: config, logger: WSHarness.logger)
    }

    /// Runs `services` while `body` runs, then shuts them down gracefully.
    func with<Result: Sendable>(_ services: [any Service], _ body: () async throws -> Result) async throws -> Result {
        try await withServices(services, logger: WSHarness.logger, body)
    }

    /// Queues a message for `client` in `FABRIC_OUTBOX`, as the SDK's `outbox(toClient:)` does.
    @discardableResult
    func queue(_ payload: String, for client: String, type: String = "note.new") async throws -> UInt64 {
        let envelope = Envelope(type: type, source: .internal, payload: Array(payload.utf8))
        return try await jetStream.publish(
            FabricNames.Subject.outbox(clientID: client), headers: envelope.headers, payload: envelope.payload,
            messageID: envelope.id, expectedStream: FabricNames.Stream.outbox
        ).sequence
    }

    /// Messages still queued for `client`.
    func depth(_ client: String) async throws -> UInt64 {
        let subject = FabricNames.Subject.outbox(clientID: client)
        return try await jetStream.streamInfo(FabricNames.Stream.outbox, subjectsFilter: subject).subjects[subject] ?? 0
    }

    /// `Authorization` for a valid token of `sub`.
    func bearer(sub: String = "alice", extra: [String: JSONValue] = [:]) -> [(String, String)] {
        [("Authorization", "Bearer \(tokens.valid(sub: sub, extra: extra))")]
    }

    /// The NATS subscriptions of the connection named `name`, from the server's monitoring port.
    func subscriptions(ofConnection name: String) async throws -> [String] {
        let body = try await HTTPProbe.get("http://127.0.0.1:\(monitorPort)/connz?subs=1&limit=1024").body
        guard case .object(let root)? = JSONCodec.parse(body), case .array(let connections)? = root["connections"] else {
            return []
        }
        for case .object(let entry) in connections where entry["name"]?.stringValue == name {
            guard case .array(let subs)? = entry["subscriptions_list"] else { return [] }
            return subs.compactMap(\.stringValue)
        }
        return []
    }
}
