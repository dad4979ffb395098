import FabricCore
import FabricExamples
import FabricNATS
import FabricObservability
import FabricRouter
import FabricTestSupport
import Foundation
import Logging
import ServiceLifecycle

/// What every conformance case runs against: a real nats-server with the fabric's
/// streams, the router with the suite's rules, the `echo` and `slow` backends, a spy on
/// `fabric.>`, and the keys of the auth matrix.
///
/// The adapter under test is configured from `authConfig` (its verifier),
/// `maxPayload` (its body limit) and `forwardedHeader` (the one client header it forwards).
public final class ConformanceEnvironment: Sendable {
    /// Options of one environment.
    public struct Options: Sendable {
        /// Capacity of `FABRIC_WORK` (1 makes the second at-least-once store fail).
        public var workMaxMessages: Int
        /// Rules appended to the suite's own (YAML list items, two-space indented).
        public var extraRoutes: String

        /// Creates options.
        public init(workMaxMessages: Int = 100_000, extraRoutes: String = "") {
            self.workMaxMessages = workMaxMessages
            self.extraRoutes = extraRoutes
        }
    }

    /// Largest body the adapter under test must accept (its limit; one more byte is refused).
    public static let maxPayload = 64 * 1024
    /// The client header the adapter under test must forward (lower-cased).
    public static let forwardedHeader = "x-region"

    /// The suite's rules: echo (request/reply), notes (at-most-once), orders (at-least-once),
    /// slow (the gate), silent (no backend: requests time out).
    public static let routes = """
        version: 1
        routes:
          - name: echo
            match: { type: "echo" }
            to: echo
          - name: notes
            match: { type: "note.>" }
            to: notes
          - name: orders
            match: { type: "order.>" }
            to: ledger
            delivery: at-least-once
          - name: slow
            match: { type: "slow" }
            to: slow
          - name: silent
            match: { type: "silent" }
            to: silent

        """

    /// The nats-server.
    public let server: NATSServer
    /// The suite's own connection (router, backends, spy, checks).
    public let connection: NATSConnection
    /// JetStream on it.
    public let jetStream: JetStream
    /// Keys and tokens.
    public let tokens: ConformanceTokens
    /// The `auth:` section the adapter under test verifies with.
    public let authConfig: AuthConfig
    /// The `jetstream:` section the fabric's streams were made with.
    public let jetStreamConfig: JetStreamConfig
    /// Scratch directory (the JWKS file, certificates), removed on stop.
    public let directory: String
    /// The spy on `fabric.>`.
    public let spy: FabricSpy
    /// The `slow` backend.
    public let gate: GateBackend
    /// The router.
    public let router: RouterService
    /// Services of the environment (router, backends).
    let services: [any Service]

    static let logger = Logger(label: "conformance")

    private init(
        server: NATSServer, connection: NATSConnection, jetStream: JetStream, tokens: ConformanceTokens, authConfig: AuthConfig,
        jetStreamConfig: JetStreamConfig, directory: String, spy: FabricSpy, gate: GateBackend, router: RouterService,
        services: [any Service]
    ) {
        self.server = server
        self.connection = connection
        self.jetStream = jetStream
        self.tokens = tokens
        self.authConfig = authConfig
        self.jetStreamConfig = jetStreamConfig
        self.directory = directory
        self.spy = spy
        self.gate = gate
        self.router = router
        self.services = services
    }

    /// The nats-server's URL.
    public var natsURL: String { server.url }

    /// Starts an environment, runs `body` with it, and stops everything.
    public static func run<Result: Sendable>(
        _ options: Options = Options(), _ body: (ConformanceEnvironment) async throws -> Result
    ) async throws -> Result {
        let environment = try await start(options)
        do {
            let result = try await withServices(environment.services, logger: logger) {
                await environment.router.waitUntilRouting()
                return try await body(environment)
            }
            await environment.stop()
            return result
        } catch {
            await environment.stop()
            throw error
        }
    }

    private static func start(_ options: Options) async throws -> ConformanceEnvironment {
        let directory = try makeTemporaryDirectory("fabric-conformance")
        let server = try await NATSServer.start()
        let connection = try await NATSConnection.connect(
            NATSOptions(urls: [server.url], name: "conformance", reconnectWait: .milliseconds(50)), logger: logger)
        let jetStream = try JetStream(connection)
        var settings = FabricConfig.defaults.jetstream
        settings.inMemory = true
        settings.workMaxMessages = options.workMaxMessages
        try await FabricTopology(config: settings).ensure(on: jetStream)

        let tokens = ConformanceTokens()
        let jwksFile = "\(directory)/jwks.json"
        try tokens.jwks.write(toFile: jwksFile, atomically: true, encoding: .utf8)
        let authConfig = try FabricConfig(
            reader: ConfigReader.parse(
                yaml: """
                    auth:
                      jwks_file: \(jwksFile)
                      issuer: \(ConformanceTokens.issuer)
                      audience: [\(ConformanceTokens.audience)]
                      leeway: 5s
                    """)
        ).auth

        let spy = try await FabricSpy.start(on: connection)
        let gate = GateBackend(connection: connection, jetStream: jetStream)
        let source = StaticRouteSource(text: routes + options.extraRoutes, version: "conformance:1")
        let router = RouterService(
            connection: connection, jetStream: jetStream, source: source, config: FabricConfig.defaults.router,
            readiness: Readiness(), logger: logger)
        let echo = EchoBackend.make(connection: connection, jetStream: jetStream)
        return ConformanceEnvironment(
            server: server, connection: connection, jetStream: jetStream, tokens: tokens, authConfig: authConfig,
            jetStreamConfig: settings, directory: directory, spy: spy, gate: gate, router: router,
            services: [echo, gate.service, router])
    }

    private func stop() async {
        gate.open()
        spy.stop()
        connection.close()
        await server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A new connection to the environment's server (for the adapter under test);
    /// `batchWhenBusy` as `NATSOptions.batchWhenBusy`.
    public func connect(name: String, batchWhenBusy: Bool = false) async throws -> NATSConnection {
        try await NATSConnection.connect(
            NATSOptions(urls: [server.url], name: name, reconnectWait: .milliseconds(50), batchWhenBusy: batchWhenBusy),
            logger: ConformanceEnvironment.logger)
    }
}
