import FabricCore
import FabricNATS
import FabricObservability
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// The stateless router: `fabric.in.>` in queue group `fabric-router` → rules →
/// `fabric.svc.<service>[.<n>]` (at-most-once) or `FABRIC_WORK` (at-least-once).
///
/// Matching and at-most-once republishing run synchronously on nats.c's delivery
/// thread (no copy, no thread hop); on a connection with `batchWhenBusy` a republish is
/// written at once only when no message waits behind it, so a flood goes out in batches.
/// Stores need the stream's acknowledgement, so those messages are copied into a bounded
/// queue that a pool of tasks stores concurrently; when the queue is full the publisher
/// is told `unavailable` at once.
public final class RouterService: Service, Sendable {
    let connection: NATSConnection
    let jetStream: JetStream
    let source: any RouteSource
    let config: RouterConfig
    let readiness: Readiness
    let logger: Logger
    let table = RouteTable()
    let metrics = RouterMetrics()
    private let jobs: AsyncStream<StoreJob>
    private let jobsInput: AsyncStream<StoreJob>.Continuation
    private let subscriptions = Mutex<[NATSSubscription]>([])
    private let loaded = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    let afterStore: (@Sendable () -> Void)?

    /// Creates a router; it subscribes once its first rule set is loaded. `afterStore`
    /// runs after each stored message, before its answer (a test hook: crash tests kill
    /// the process there).
    public init(
        connection: NATSConnection, jetStream: JetStream, source: any RouteSource, config: RouterConfig, readiness: Readiness,
        logger: Logger, afterStore: (@Sendable () -> Void)? = nil
    ) {
        self.afterStore = afterStore
        self.connection = connection
        self.jetStream = jetStream
        self.source = source
        self.config = config
        self.readiness = readiness
        self.logger = logger
        (jobs, jobsInput) = AsyncStream.makeStream(of: StoreJob.self, bufferingPolicy: .bufferingOldest(config.storeQueue))
        readiness.register("router", reason: "no valid rules loaded yet")
    }

    /// The version of the rules in force, nil before the first load.
    public var routesVersion: String? { table.current?.version }

    /// Suspends until the first valid rule set is in force and the router subscribed.
    public func waitUntilRouting() async {
        await withCheckedContinuation { continuation in
            let now = loaded.withLock { state -> Bool in
                if state.done { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.reloadLoop() }
            group.addTask { await self.storeLoop() }
            try? await gracefulShutdown()
            // Stop taking messages, let the handlers finish, then finish the stores queued.
            let current = subscriptions.withLock { $0 }
            for subscription in current { await subscription.drain(timeout: .seconds(5)) }
            // The subscriptions' handlers hold the router: letting go of them breaks the cycle.
            subscriptions.withLock { $0 = [] }
            jobsInput.finish()
            group.cancelAll()
        }
        logger.info("router stopped")
    }

    // MARK: Rules

    private func reloadLoop() async {
        for await update in source.updates() {
            if Task.isCancelled { break }
            await apply(update)
        }
    }

    /// Validates and installs a new rule text; an invalid one leaves the running set in force.
    func apply(_ update: RouteUpdate) async {
        do {
            let routes = try RouteSet.parse(yaml: update.text, version: update.version)
            table.replace(with: RouteTable.Compiled(routes))
            metrics.reloadSuccess.increment()
            metrics.rules.record(routes.routes.count)
            // Subscribed, and the server confirmed it, before the log line: whoever waits
            // for the line can publish at once.
            await startRoutingOnce()
            logger.notice(
                "routes loaded",
                metadata: ["version": "\(update.version)", "rules": "\(routes.routes.count)", "from": "\(source.description)"])
        } catch {
            metrics.reloadFailure.increment()
            logger.error(
                "routes refused; the running set stays in force",
                metadata: ["version": "\(update.version)", "error": "\(error)", "running": "\(table.current?.version ?? "none")"])
        }
    }

    private func startRoutingOnce() async {
        let first = loaded.withLock { state -> Bool in
            if state.done { return false }
            state.done = true
            return true
        }
        guard first else { return }
        do {
            var created: [NATSSubscription] = []
            for _ in 0..<config.subscriptions {
                created.append(
                    try connection.subscribe(to: FabricNames.Subject.inboundAll, queue: FabricNames.QueueGroup.router) {
                        [self] message in self.route(message)
                    })
            }
            subscriptions.withLock { $0 = created }
            try? await connection.flush()
            readiness.ready("router")
        } catch {
            logger.critical("router cannot subscribe", metadata: ["error": "\(error)"])
            readiness.notReady("router", reason: "cannot subscribe: \(error)")
        }
        let waiters = loaded.withLock { state -> [CheckedContinuation<Void, Never>] in
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }

    // MARK: Hot path

    /// Routes one message on the delivery thread; never blocks or waits.
    func route(_ message: borrowing NATSMessageView) {
        let started = ContinuousClock.now
        defer { metrics.latency.recordNanoseconds((ContinuousClock.now - started).nanosecondsClamped) }
        guard let table = table.current else { return }
        let subject = message.subject
        let type = String(subject.utf8.dropFirst(FabricNames.Subject.inboundPrefix.utf8.count))!
        let reply = message.replyTo
        let expect = message.header(HeaderName.expect).flatMap(Expect.init(rawValue:)) ?? (reply == nil ? .none : .reply)
        do {
            try MessageType.validate(type)
        } catch {
            metrics.rejected.increment()
            answer(reply, expect: expect, status: .rejected, error: "invalid type: \(error.reason)")
            return
        }
        var input = RoutingInput(
            type: type, source: message.header(HeaderName.source).flatMap(Source.init(rawValue:)),
            topic: message.header(HeaderName.topic), principal: message.header(HeaderName.principal),
            roles: message.header(HeaderName.roles).map { $0.split(separator: ",").map(String.init) } ?? [],
            tenant: message.header(HeaderName.tenant), claimsJSON: message.header(HeaderName.claims),
            client: message.header(HeaderName.client))
        for name in table.headerNames {
            if let value = RouterService.clientHeader(message, name) { input.headers.add(name, value) }
        }
        if table.needsPayload { input.payload = Array(message.payload) }

        switch table.matcher.match(&input) {
        case .unmatched:
            metrics.unmatched.increment()
            answer(reply, expect: expect, status: .notFound, error: "no route for type \(type)")
        case .forbidden(let route, let reason):
            table.counters[route.name]?.forbidden.increment()
            answer(reply, expect: expect, status: .forbidden, error: "route \(route.name) \(reason)")
        case .routed(let routes):
            dispatch(message, routes: routes, input: &input, table: table, reply: reply, expect: expect)
        }
    }

    private func dispatch(
        _ message: borrowing NATSMessageView, routes: [Route], input: inout RoutingInput, table: RouteTable.Compiled,
        reply: String?, expect: Expect
    ) {
        var replyOwnerTaken = false
        var stores: [StoreJob.Target] = []
        for route in routes {
            table.counters[route.name]?.routed.increment()
            let partition = route.partition.map { $0.partition(for: &input) }
            for service in route.to {
                let ownsReply = expect == .reply && !replyOwnerTaken
                if ownsReply { replyOwnerTaken = true }
                var stamps = Headers(capacity: 8)
                stamps.add(HeaderName.routesVersion, table.version)
                stamps.add(HeaderName.route, route.name)
                stamps.add(HeaderName.delivery, route.delivery.rawValue)
                if let partition { stamps.add(HeaderName.partition, String(partition)) }
                if let priority = route.priority { stamps.add(HeaderName.priority, priority.rawValue) }
                if let cache = route.cache { stamps.add(HeaderName.cache, cache.headerValue) }
                switch route.delivery {
                case .atMostOnce:
                    let subject = FabricNames.Subject.service(service, partition: partition)
                    do {
                        try connection.republish(
                            message, to: subject, replyTo: ownsReply ? reply : nil, setting: stamps,
                            // On a connection that batches (`batch_when_busy`), the copy waits in the
                            // write buffer until the subscription's burst ends (`NATSWriteBuffer`).
                            flush: false)
                    } catch {
                        logger.warning("republish failed", metadata: ["subject": "\(subject)", "error": "\(error)"])
                        answer(reply, expect: expect, status: .unavailable, error: "cannot publish: \(error.message)")
                        return
                    }
                case .atLeastOnce:
                    stamps.add(HeaderName.retry, route.retry.headerValue)
                    stamps.add(HeaderName.onFailure, route.onFailure.rawValue)
                    if ownsReply, let reply { stamps.add(HeaderName.replyTo, reply) }
                    stores.append(StoreJob.Target(service: service, stamps: stamps))
                }
            }
        }
        guard !stores.isEmpty else {
            if expect == .ack { answer(reply, expect: expect, status: .ok) }
            return
        }
        guard let id = message.header(HeaderName.id), FabricID.isValid(id) else {
            metrics.rejected.increment()
            answer(reply, expect: expect, status: .rejected, error: "an at-least-once message needs a valid Fabric-Id")
            return
        }
        let job = StoreJob(
            id: id, headers: message.headers, payload: Array(message.payload), reply: reply, expect: expect, targets: stores)
        if case .dropped = jobsInput.yield(job) {
            metrics.overloaded.increment()
            answer(reply, expect: expect, status: .unavailable, error: "router store queue is full")
        }
    }

    /// A client header the rules look at: stored lower-cased by adapters.
    private static func clientHeader(_ message: borrowing NATSMessageView, _ name: String) -> String? {
        message.header(name)
    }

    private func answer(_ reply: String?, expect: Expect, status: Status, error: String? = nil) {
        guard expect != .none, let reply else { return }
        do {
            try connection.reply(to: reply, status: status, error: error)
        } catch {
            logger.debug("cannot answer", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Stores

    private func storeLoop() async {
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for await job in jobs {
                if inFlight >= config.storeConcurrency {
                    await group.next()
                    inFlight -= 1
                }
                group.addTask { await self.store(job) }
                inFlight += 1
            }
        }
    }

    /// Stores every at-least-once copy of a message, then answers an `ack` request.
    func store(_ job: StoreJob) async {
        let started = ContinuousClock.now
        var failure: NATSError?
        for target in job.targets {
            var headers = job.headers
            for field in target.stamps { headers.set(field.name, field.value) }
            do {
                _ = try await jetStream.publish(
                    FabricNames.Subject.work(service: target.service), headers: headers, payload: job.payload,
                    messageID: "\(job.id).\(target.service)", expectedStream: FabricNames.Stream.work,
                    timeout: config.storeTimeout)
            } catch {
                failure = error
                break
            }
        }
        metrics.storeLatency.recordNanoseconds((ContinuousClock.now - started).nanosecondsClamped)
        if failure == nil { afterStore?() }
        if let failure {
            metrics.storeFailures.increment()
            logger.warning("store failed", metadata: ["id": "\(job.id)", "error": "\(failure)"])
            answer(job.reply, expect: job.expect, status: .unavailable, error: "not stored: \(failure.message)")
        } else if job.expect == .ack {
            answer(job.reply, expect: job.expect, status: .ok)
        }
    }
}

/// A message waiting to be stored in `FABRIC_WORK`, once per target service.
struct StoreJob: Sendable {
    struct Target: Sendable {
        let service: String
        let stamps: Headers
    }

    let id: String
    let headers: Headers
    let payload: [UInt8]
    let reply: String?
    let expect: Expect
    let targets: [Target]
}

extension Duration {
    /// Nanoseconds, clamped to Int64 (for swift-metrics timers).
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product &+ attoseconds / 1_000_000_000
    }
}
