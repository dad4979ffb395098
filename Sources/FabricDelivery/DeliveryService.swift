import FabricCore
import FabricNATS
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// `fabric delivery`: at-least-once work with retries and backoff, the dead-letter
/// queue, and the queues of disconnected clients.
///
/// Any number of instances run side by side: each service's work has one durable
/// consumer they share, and the outbox pumps are spread by queue groups. Services are
/// found in `FABRIC_WORK`'s subjects every `delivery.discovery_interval` (plus those
/// named under `delivery.services`), so a new route needs no restart.
public final class DeliveryService: Service, Sendable {
    let jetStream: JetStream
    let config: FabricConfig
    let logger: Logger
    let readiness: (@Sendable (Bool, String?) -> Void)?
    let outbox: OutboxService
    private let consumers = Mutex<[String: WorkConsumer]>([:])
    private let discovered: AsyncStream<String>
    private let discoveredInput: AsyncStream<String>.Continuation
    private let started = Mutex(Started())
    private let nextWaiter = Atomic<UInt64>(0)

    /// Services consumed so far, and who waits for one.
    private struct Started {
        var services: Set<String> = []
        /// Set once `run` has ended: nothing more will start.
        var finished = false
        var waiters: [UInt64: (service: String, continuation: CheckedContinuation<Bool, Never>)] = [:]
    }

    /// Creates the service; `readiness` is told when the first discovery pass is done
    /// (true) or when NATS cannot be read (false, with the reason).
    public init(
        jetStream: JetStream, config: FabricConfig, logger: Logger, readiness: (@Sendable (Bool, String?) -> Void)? = nil
    ) {
        self.jetStream = jetStream
        self.config = config
        self.logger = logger
        self.readiness = readiness
        self.outbox = OutboxService(jetStream: jetStream, config: config, logger: logger)
        (discovered, discoveredInput) = AsyncStream.makeStream(of: String.self)
    }

    /// Services being consumed by this instance.
    public var services: [String] { consumers.withLock { $0.keys.sorted() } }

    /// Suspends until this instance consumes `service` (tests, tools): true then, false
    /// when the service stops first (or had stopped) or the waiting task is cancelled.
    @discardableResult
    public func waitUntilConsuming(_ service: String) async -> Bool {
        let id = nextWaiter.add(1, ordering: .relaxed).newValue
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = started.withLock { state -> Bool? in
                    if state.services.contains(service) { return true }
                    // Checked under the lock the cancellation handler takes: a cancellation
                    // either came before (the flag is set) or finds the waiter stored.
                    if state.finished || Task.isCancelled { return false }
                    state.waiters[id] = (service, continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            started.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume(returning: false)
        }
    }

    public func run() async throws {
        logger.info("delivery started", metadata: ["instance": "\(config.instance)"])
        defer { stopStarting() }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.outbox.run() }
            group.addTask { await self.discover() }
            group.addTask { await self.measure() }
            for await service in discovered {
                let consumer = WorkConsumer(
                    service: service, config: config.delivery, jetStream: jetStream, logger: logger)
                consumers.withLock { $0[service] = consumer }
                group.addTask { await consumer.run() }
                let waiters = started.withLock { state -> [CheckedContinuation<Bool, Never>] in
                    state.services.insert(service)
                    let ready = state.waiters.filter { $0.value.service == service }
                    for id in ready.keys { state.waiters.removeValue(forKey: id) }
                    return ready.values.map(\.continuation)
                }
                waiters.forEach { $0.resume(returning: true) }
            }
            // Discovery has ended: no service starts any more.
            stopStarting()
        }
        logger.info("delivery stopped")
    }

    /// Nothing starts any more: whoever waits for a service is told now, not never.
    private func stopStarting() {
        let waiters = started.withLock { state in
            state.finished = true
            defer { state.waiters = [:] }
            return state.waiters.values.map(\.continuation)
        }
        for waiter in waiters { waiter.resume(returning: false) }
    }

    /// Finds services with stored work and announces those without a consumer yet.
    private func discover() async {
        var known: Set<String> = []
        func announce(_ service: String) {
            guard known.insert(service).inserted else { return }
            discoveredInput.yield(service)
        }
        for service in config.delivery.services.keys.sorted() { announce(service) }
        var firstPass = true
        while !Task.isShuttingDownGracefully {
            do {
                for service in try await servicesWithWork() { announce(service) }
                if firstPass { readiness?(true, nil) }
                firstPass = false
            } catch {
                logger.warning("cannot look for services", metadata: ["error": "\(error)"])
                readiness?(false, "cannot read \(FabricNames.Stream.work): \(error)")
                firstPass = true
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.config.delivery.discoveryInterval) }
            } catch {
                break
            }
        }
        discoveredInput.finish()
    }

    /// Services whose subject holds messages in `FABRIC_WORK`.
    func servicesWithWork() async throws(NATSError) -> [String] {
        try jetStream.connection.requireConnected()
        let info = try await jetStream.streamInfo(FabricNames.Stream.work, subjectsFilter: FabricNames.Subject.workAll)
        let prefix = FabricNames.Subject.workPrefix.count
        return info.subjects.keys.compactMap { subject in
            let service = String(subject.dropFirst(prefix))
            return (try? MessageType.validateService(service)) != nil ? service : nil
        }
        .sorted()
    }

    /// Refreshes the lag gauges every `delivery.metrics_interval`.
    private func measure() async {
        while !Task.isShuttingDownGracefully {
            for consumer in consumers.withLock({ Array($0.values) }) { await consumer.measure() }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.config.delivery.metricsInterval) }
            } catch {
                return
            }
        }
    }
}
