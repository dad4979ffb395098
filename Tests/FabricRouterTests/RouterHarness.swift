import FabricCore
import FabricNATS
import FabricObservability
import FabricRouter
import FabricService
import FabricTestSupport
import Logging
import ServiceLifecycle

/// A rule source a test pushes texts into.
struct PushedRouteSource: RouteSource {
    let stream: AsyncStream<RouteUpdate>
    let continuation: AsyncStream<RouteUpdate>.Continuation

    init(_ first: String, version: String = "test:1") {
        (stream, continuation) = AsyncStream.makeStream(of: RouteUpdate.self)
        continuation.yield(RouteUpdate(text: first, version: version))
    }

    func push(_ text: String, version: String) { continuation.yield(RouteUpdate(text: text, version: version)) }
    func updates() -> AsyncStream<RouteUpdate> { stream }
    var description: String { "test" }
}

/// A real nats-server, the fabric's streams, and services run in a `ServiceGroup`.
struct RouterHarness {
    let server: NATSServer
    let connection: NATSConnection
    let jetStream: JetStream

    static let logger = Logger(label: "router-test")

    static func start(workMaxMessages: Int = 100_000) async throws -> RouterHarness {
        let server = try await NATSServer.start()
        let connection = try await NATSConnection.connect(
            NATSOptions(urls: [server.url], name: "router-test", reconnectWait: .milliseconds(50)), logger: logger)
        let jetStream = try JetStream(connection)
        var settings = FabricConfig.defaults.jetstream
        settings.inMemory = true
        settings.workMaxMessages = workMaxMessages
        try await FabricTopology(config: settings).ensure(on: jetStream)
        return RouterHarness(server: server, connection: connection, jetStream: jetStream)
    }

    func router(_ source: any RouteSource, config: RouterConfig = FabricConfig.defaults.router) -> RouterService {
        RouterService(
            connection: connection, jetStream: jetStream, source: source, config: config, readiness: Readiness(),
            logger: RouterHarness.logger)
    }

    /// Runs `services` while `body` runs, then shuts them down gracefully.
    func with<Result: Sendable>(_ services: [any Service], _ body: () async throws -> Result) async throws -> Result {
        try await withServices(services, logger: RouterHarness.logger) {
            for service in services {
                if let backend = service as? FabricService { await backend.waitUntilReady() }
                if let router = service as? RouterService { await router.waitUntilRouting() }
            }
            return try await body()
        }
    }

    func stop() async {
        connection.close()
        await server.stop()
    }

    /// An envelope's headers for `type`, with claims and what the publisher waits for.
    static func envelope(
        _ type: String, claims: Claims? = nil, expect: Expect, payload: String = "{}", id: String = FabricID.generate()
    ) -> (headers: Headers, payload: [UInt8]) {
        var envelope = Envelope(type: type, source: .http, payload: Array(payload.utf8), id: id)
        envelope.claims = claims
        envelope.expect = expect
        envelope.correlationID = "corr-\(id)"
        return (envelope.headers, envelope.payload)
    }

    /// Publishes an envelope to `fabric.in.<type>` as a request and returns the answer.
    func request(
        _ type: String, claims: Claims? = nil, expect: Expect = .reply, payload: String = "{}", id: String = FabricID.generate()
    ) async throws -> NATSMessage {
        let message = RouterHarness.envelope(type, claims: claims, expect: expect, payload: payload, id: id)
        return try await connection.request(
            FabricNames.Subject.inbound(type: type), headers: message.headers, payload: message.payload, timeout: .seconds(10))
    }
}
