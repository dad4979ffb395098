import FabricAuth
import FabricCore
import FabricNATS
import FabricObservability
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// `fabric adapter http`: HTTP/1.1 and HTTP/2 clients into the fabric.
///
/// Up to three listeners share one router: cleartext HTTP/1.1, cleartext HTTP/2 with
/// prior knowledge, and TLS with ALPN (h2, falling back to http/1.1). Endpoints:
/// `POST /v1/publish/{type}`, `POST /v1/request/{type}`, `GET /v1/query/{type}` (cached)
/// and `GET /v1/events` (Server-Sent Events); `docs/http.md` describes them.
///
/// On graceful shutdown it stops accepting, ends the event streams, lets in-flight
/// requests finish, then returns.
public final class HTTPAdapter: Service, Sendable {
    /// One kind of listener.
    public enum Listener: String, Sendable, CaseIterable {
        /// Cleartext HTTP/1.1.
        case http
        /// TLS: HTTP/2 by ALPN, HTTP/1.1 fallback.
        case https
        /// Cleartext HTTP/2 with prior knowledge.
        case h2c
    }

    /// The priority table in force (watched from `fabric-config`).
    public let priorities: PriorityTableState
    let ingress: HTTPIngress
    private let configBucket: KeyValue?
    private let readiness: Readiness
    private let logger: Logger
    private let applications: [Application<HTTPRoutes>]
    private let metrics: HTTPMetrics

    /// Creates the adapter; fails when the TLS certificate or key cannot be read.
    ///
    /// - Parameters:
    ///   - configBucket: `fabric-config`, for the priority table (nil: the default table only).
    ///   - cacheBucket: `fabric-cache`, shared by instances (nil: this instance's memory only).
    ///   - clock: ms since the epoch; what cache expiry is measured with.
    ///   - onListening: called with each listener and its URL once it is bound.
    public init(
        config: HTTPConfig, connection: NATSConnection, jetStream: JetStream, verifier: TokenVerifier,
        configBucket: KeyValue?, cacheBucket: KeyValue?, readiness: Readiness, instance: String, logger: Logger,
        clock: @escaping @Sendable () -> UInt64 = { WallClock.nowMillis() },
        onListening: @escaping @Sendable (Listener, String) async -> Void = { _, _ in }
    ) throws {
        self.configBucket = configBucket
        self.readiness = readiness
        self.logger = logger
        let metrics = HTTPMetrics()
        self.metrics = metrics
        let priorities = PriorityTableState()
        self.priorities = priorities
        let cache =
            config.cache.enabled
            ? EdgeCache(config: config.cache, bucket: cacheBucket, metrics: metrics, clock: clock, logger: logger) : nil
        let ingress = HTTPIngress(
            config: config, connection: connection, jetStream: jetStream, verifier: verifier, priorities: priorities,
            cache: cache, metrics: metrics, clock: clock, instance: instance, logger: logger)
        self.ingress = ingress
        readiness.register("http", reason: "not listening yet")
        if configBucket != nil { readiness.register(PriorityTableWatcher.component, reason: "priority table not read yet") }
        self.applications = try HTTPAdapter.applications(
            config: config, ingress: ingress, readiness: readiness, logger: logger, onListening: onListening)
    }

    /// Requests in flight now (what shedding counts).
    public var inFlight: Int { ingress.shedder.inFlight }

    /// Open event streams.
    public var eventStreams: Int { ingress.events.count }

    /// The control API over this adapter's priority table, for the admin listener.
    public func controlAPI(token: String?) -> PriorityControlAPI? {
        configBucket.map { PriorityControlAPI(bucket: $0, state: priorities, token: token, logger: logger) }
    }

    public func run() async throws {
        typealias Configured = ServiceGroupConfiguration.ServiceConfiguration
        var services: [Configured] = []
        if let configBucket {
            // Restarts its watch until shutdown; meanwhile the adapter serves on with the table it has.
            let watcher = PriorityTableWatcher(
                bucket: configBucket, state: priorities, metrics: metrics, readiness: readiness, logger: logger)
            services.append(Configured(service: watcher, successTerminationBehavior: .ignore))
        }
        services.append(
            Configured(
                service: SessionTakeoverWatch(connection: ingress.connection, registry: ingress.events, logger: logger),
                successTerminationBehavior: .ignore))
        // Shut down in reverse: the drain first, then the listeners, the watches last.
        services += applications.map { Configured(service: $0) }
        // The drain refuses new requests, ends the event streams and waits for what is in
        // flight before the listeners hear of the shutdown, so that every stream ends with its
        // close event and every answer is written before a connection is asked to go.
        let (ingress, readiness) = (self.ingress, self.readiness)
        services.append(
            Configured(
                service: ShutdownStep {
                    readiness.notReady("http", reason: "draining")
                    await ingress.drain()
                }))
        try await ServiceGroup(configuration: .init(services: services, logger: logger)).run()
        logger.info("http adapter stopped")
    }

    // MARK: Listeners

    private static func applications(
        config: HTTPConfig, ingress: HTTPIngress, readiness: Readiness, logger: Logger,
        onListening: @escaping @Sendable (Listener, String) async -> Void
    ) throws -> [Application<HTTPRoutes>] {
        let answerer = RequestAnswerer(responder: HTTPRoutes(ingress: ingress))
        let (limits, bodyLimit) = (config.limits, ingress.bodyLimit)
        // fabric's own connection handlers serve both protocols (`HTTP1ServerChannel`,
        // `HTTP2ServerChannel`, `docs/architecture.md`) and `HTTPRoutes` routes; Hummingbird
        // runs the listeners and shapes requests and responses.
        let http1 = HTTP1ServerChannel(answerer: answerer, limits: limits, bodyLimit: bodyLimit, secure: false)
        let http2 = HTTP2ServerChannel(answerer: answerer, limits: limits, bodyLimit: bodyLimit)
        // Every connection runs on its event loop (`EventLoopExecutor`).
        var listeners: [(Listener, Int, HTTPServerBuilder)] = []
        if config.port >= 0 {
            listeners.append((.http, config.port, HTTPServerBuilder { _ in EventLoopBoundChannel(inner: http1) }))
        }
        if config.h2cPort >= 0 {
            listeners.append((.h2c, config.h2cPort, HTTPServerBuilder { _ in EventLoopBoundChannel(inner: http2) }))
        }
        if let tls = config.tls {
            let secure = try SecureHTTPChannel(
                tlsConfiguration: try HTTPAdapter.tlsConfiguration(tls),
                http1: HTTP1ServerChannel(answerer: answerer, limits: limits, bodyLimit: bodyLimit, secure: true), http2: http2)
            listeners.append((.https, tls.port, HTTPServerBuilder { _ in EventLoopBoundChannel(inner: secure) }))
        }
        let pending = PendingListeners(count: listeners.count, readiness: readiness)
        return listeners.map { listener, port, server in
            let scheme = listener.rawValue
            let host = config.host.contains(":") ? "[\(config.host)]" : config.host
            return Application(
                responder: answerer.responder, server: server,
                configuration: .init(
                    address: .hostname(config.host, port: port), serverName: nil,
                    availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections)),
                onServerRunning: { channel in
                    await onListening(listener, "\(scheme)://\(host):\(channel.localAddress?.port ?? port)")
                    pending.started()
                },
                logger: logger)
        }
    }

    static func tlsConfiguration(_ tls: HTTPConfig.TLS) throws -> TLSConfiguration {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(tls.certFile).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: tls.keyFile, format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            return configuration
        } catch {
            throw ValidationError(path: "http.tls", reason: "cannot load \(tls.certFile) / \(tls.keyFile): \(error)")
        }
    }
}
