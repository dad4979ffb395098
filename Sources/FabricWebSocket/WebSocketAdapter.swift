import FabricAuth
import FabricCore
import FabricNATS
import FabricObservability
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

/// `fabric adapter ws`: WebSocket clients into the fabric.
///
/// One listener (`ws.port`, 8090; TLS with `ws.tls`) serves `/v1/ws` (JSON frames: publish, request,
/// subscribe, acks, resume) and `/v1/raw/{type}` (plain payloads). The token is checked
/// before the upgrade; topic messages are fanned out from one NATS subscription per topic;
/// each connection has a bounded outbound buffer with a drop policy; sessions take part in
/// the outbox contract, so a client that reconnects anywhere resumes in order
/// (`docs/websocket.md`).
public final class WebSocketAdapter: Service, Sendable {
    /// The priority table in force (watched from `fabric-config`).
    public let priorities: PriorityTableState
    let context: SessionContext
    private let configBucket: KeyValue?
    private let tls: TLSConfiguration?
    private let readiness: Readiness
    private let onListening: @Sendable (String) async -> Void

    /// Creates the adapter; fails when `ws.tls` names a certificate or key it cannot read.
    ///
    /// - Parameters:
    ///   - configBucket: `fabric-config`, for the priority table (nil: the default table only).
    ///   - leeway: clock skew tolerated on a token's `exp` (`auth.leeway`): a session's token
    ///     counts as expired this long after it.
    ///   - onListening: called with the listener's URL (`ws://host:port`) once it is bound.
    public init(
        config: WebSocketConfig, connection: NATSConnection, verifier: TokenVerifier, configBucket: KeyValue?,
        readiness: Readiness, instance: String, logger: Logger, leeway: Duration = .zero,
        onListening: @escaping @Sendable (String) async -> Void = { _ in }
    ) throws {
        tls = try config.tls.map(WebSocketTLS.configuration)
        let metrics = WebSocketMetrics()
        let priorities = PriorityTableState()
        self.priorities = priorities
        self.configBucket = configBucket
        self.readiness = readiness
        self.onListening = onListening
        let serverLimit = connection.maxPayload
        context = SessionContext(
            config: config, connection: connection,
            verifier: VerifiedTokens(verifier: verifier, entries: config.tokenCache.entries, ttl: config.tokenCache.ttl),
            priorities: priorities, admission: MessageAdmission(policy: config.shedding.policy, metrics: metrics),
            registry: SessionRegistry(limit: config.limits.maxConnections, metrics: metrics),
            fanout: TopicFanout(connection: connection, metrics: metrics), metrics: metrics, instance: instance, logger: logger,
            leeway: leeway,
            payloadLimit: serverLimit > 0 ? min(config.limits.maxPayload, serverLimit) : config.limits.maxPayload,
            forwarded: Set(config.forwardHeaders))
        readiness.register("ws", reason: "not listening yet")
        if configBucket != nil { readiness.register("priorities", reason: "priority table not read yet") }
    }

    /// Connections open now.
    public var connections: Int { context.registry.count }

    /// NATS subscriptions the topic and user fan-out holds now.
    public var fanoutSubscriptions: Int { context.fanout.subscriptionCount }

    /// Messages buffered for clients across every connection now.
    public var bufferedMessages: Int { context.metrics.bufferedNow }

    /// Messages the outbound buffers of this instance dropped so far.
    public var droppedMessages: Int { context.metrics.droppedTotal.load(ordering: .relaxed) }

    /// Topic and user messages this instance handed to its sessions so far (one per session).
    public var fannedOutMessages: Int { context.metrics.fannedOut.load(ordering: .relaxed) }

    public func run() async throws {
        typealias Configured = ServiceGroupConfiguration.ServiceConfiguration
        var services: [Configured] = []
        if let configBucket {
            let watch = PriorityTableWatch(bucket: configBucket, state: priorities, logger: context.logger)
            services.append(
                Configured(
                    service: PriorityWatchService(watch: watch, metrics: context.metrics, readiness: readiness),
                    successTerminationBehavior: .ignore))
        }
        // Shut down in reverse: the drain first, then the listener, then the wait for
        // connections still closing, the watcher last.
        //
        // The listener's own shutdown does not wait for connections (they hold no task,
        // `WebSocketChildChannel`): without this wait the process could exit in the middle of
        // a close handshake, or before a session upgraded during the drain had closed itself.
        let registry = context.registry
        let closeTimeout = context.config.closeTimeout
        services.append(Configured(service: ShutdownStep { await registry.waitUntilEmpty(atMost: closeTimeout) }))
        services.append(Configured(service: application()))
        // The drain refuses new connections (503), lets each session finish what is in flight,
        // flush its buffer and close with 1001, all within `ws.drain_timeout`, before the
        // listener stops.
        let readiness = self.readiness
        services.append(
            Configured(
                service: ShutdownStep {
                    readiness.notReady("ws", reason: "draining")
                    await self.drain()
                }))
        let takeovers = try watchTakeovers()
        defer { takeovers.unsubscribe() }
        try await ServiceGroup(configuration: .init(services: services, logger: context.logger)).run()
        context.logger.info("ws adapter stopped")
    }

    /// Refuses new connections, lets every session finish and close within `ws.drain_timeout`,
    /// then cuts what is left.
    func drain() async {
        let sessions = context.registry.beginDrain()
        let deadline = context.config.drainTimeout
        await withTaskGroup(of: Void.self) { group in
            for session in sessions { group.addTask { await session.shutdown(deadline: deadline) } }
        }
        await context.registry.waitUntilEmpty(atMost: deadline + context.config.closeTimeout)
    }

    /// A connection for the same client id announced on another instance (or by another
    /// session here) takes the session over: the local one is closed (`docs/delivery.md`).
    /// Only a newer session does (`PresenceEvent.isNewer`).
    private func watchTakeovers() throws(NATSError) -> NATSSubscription {
        let registry = context.registry
        return try context.connection.subscribe(to: FabricNames.Subject.presenceConnect) { message in
            guard let event = try? PresenceEvent.decode(message.payload),
                let local = registry.session(holding: event.client), event.isNewer(than: local.sessionID)
            else { return }
            local.takeOver()
        }
    }

    private func application() -> Application<RouterResponder<BasicRequestContext>> {
        let config = context.config
        let tls = self.tls
        // Every request is answered by the child channel (upgrade, refusal or 426/404): the
        // router is never asked.
        let server = HTTPServerBuilder { _ -> any ServerChildChannel in
            let connection = WebSocketChildChannel(adapter: self)
            guard let tls else { return SendBufferLimit(inner: connection, bytes: config.limits.sendBuffer) }
            return SendBufferLimit(inner: try TLSChannel(connection, tlsConfiguration: tls), bytes: config.limits.sendBuffer)
        }
        let host = config.host.contains(":") ? "[\(config.host)]" : config.host
        let scheme = tls == nil ? "ws" : "wss"
        let readiness = self.readiness
        let onListening = self.onListening
        return Application(
            router: Router(), server: server,
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: nil),
            onServerRunning: { channel in
                await onListening("\(scheme)://\(host):\(channel.localAddress?.port ?? config.port)")
                readiness.ready("ws")
            },
            logger: context.logger)
    }
}
