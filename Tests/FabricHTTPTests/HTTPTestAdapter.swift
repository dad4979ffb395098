import FabricAuth
import FabricConformance
import FabricCore
import FabricHTTP
import FabricNATS
import FabricObservability
import FabricTestSupport
import Logging
import ServiceLifecycle

/// An HTTP adapter on free loopback ports against a conformance environment: its own
/// NATS connection, the environment's keys, every listener (TLS with a test certificate).
struct HTTPTestAdapter: Sendable {
    let adapter: HTTPAdapter
    let connection: NATSConnection
    let configBucket: KeyValue
    let urls: ListenerURLs
    let clock: TestClock
    let readiness: Readiness

    static let logger: Logger = {
        var logger = Logger(label: "http-test")
        logger.logLevel = .notice
        return logger
    }()

    /// Builds (does not run) an adapter; `yaml` is added inside the `http:` section.
    static func make(
        _ environment: ConformanceEnvironment, yaml: String = "", name: String = "http-adapter"
    ) async throws
        -> HTTPTestAdapter
    {
        _ = TestMetrics.registry
        let certificate = try await TestCertificate.shared()
        let indented = yaml.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        let text = """
            http:
              host: 127.0.0.1
              port: 0
              h2c_port: 0
              tls: { port: 0, cert_file: \(certificate.certFile), key_file: \(certificate.keyFile) }
              forward_headers: [\(ConformanceEnvironment.forwardedHeader)]
            \(indented)
            """
        let config = try FabricConfig(reader: ConfigReader.parse(yaml: text)).http
        // As `fabric adapter http` connects by default (`http.batch_publishes`).
        let connection = try await environment.connect(name: name, batchWhenBusy: config.batchPublishes)
        let jetStream = try JetStream(connection)
        let topology = FabricTopology(config: environment.jetStreamConfig)
        let configBucket = try await jetStream.ensureKeyValue(topology.configBucket)
        let cacheBucket = try await jetStream.ensureKeyValue(topology.cacheBucket)
        let verifier = try await TokenVerifier.load(config: environment.authConfig, logger: logger)
        let urls = ListenerURLs()
        let clock = TestClock()
        let readiness = Readiness()
        let adapter = try HTTPAdapter(
            config: config, connection: connection, jetStream: jetStream, verifier: verifier, configBucket: configBucket,
            cacheBucket: cacheBucket, readiness: readiness, instance: name, logger: logger, clock: { clock.now() },
            onListening: { listener, url in urls.bound(listener, url) })
        return HTTPTestAdapter(
            adapter: adapter, connection: connection, configBucket: configBucket, urls: urls, clock: clock,
            readiness: readiness)
    }

    /// Runs the adapter while `body` runs, then drains it.
    func run<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        defer { connection.close() }
        return try await withServices([adapter], logger: HTTPTestAdapter.logger) {
            for listener in HTTPAdapter.Listener.allCases { _ = try await urls.url(listener) }
            return try await body()
        }
    }
}
