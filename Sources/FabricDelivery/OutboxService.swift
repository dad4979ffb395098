import FabricCore
import FabricNATS
import Logging
import Metrics
import ServiceLifecycle

/// Delivers `FABRIC_OUTBOX` to clients through their adapters, and measures and expires
/// the queues.
///
/// Every instance sees every presence event and every new-message hint (plain
/// subscriptions) to keep its view of who is online; the queue-group copies decide which
/// instance starts a pump, so normally one pump serves a client. A pump for a client
/// that is online stays until the client leaves. If an instance dies, the pumps it ran
/// are restarted elsewhere by the stall sweep (a client's oldest message waiting longer
/// than twice the ack timeout); should two pumps ever serve one client, the adapter
/// contract (`docs/delivery.md`) keeps the client's frames in order and single.
final class OutboxService: Sendable {
    let context: OutboxContext
    let jetStream: JetStream
    let maxPerClient: Int
    let metricsInterval: Duration
    private let commands: AsyncStream<OutboxCommand>
    private let input: AsyncStream<OutboxCommand>.Continuation
    private let hints = OutboxHints()

    var logger: Logger { context.logger }
    var connection: NATSConnection { jetStream.connection }

    init(jetStream: JetStream, config: FabricConfig, logger: Logger) {
        self.jetStream = jetStream
        self.context = OutboxContext(
            jetStream: jetStream, settings: config.delivery.outbox, maxAge: config.jetstream.outboxMaxAge,
            metrics: OutboxMetrics(), logger: logger)
        self.maxPerClient = config.jetstream.outboxMaxPerClient
        self.metricsInterval = config.delivery.metricsInterval
        // Unbounded, yet bounded in practice: presence events are one per session change,
        // and hints are coalesced per client (`OutboxHints`), not one per message.
        (commands, input) = AsyncStream.makeStream(of: OutboxCommand.self)
    }

    /// Runs until graceful shutdown.
    func run() async {
        let subscriptions: [NATSSubscription]
        do {
            subscriptions = try subscribe()
            try await connection.flush()
        } catch {
            logger.critical("outbox cannot subscribe", metadata: ["error": "\(error)"])
            return
        }
        await withDiscardingTaskGroup { group in
            group.addTask {
                try? await gracefulShutdown()
                self.input.finish()
            }
            group.addTask { await self.measureAndSweep() }
            await loop(group: &group)
            group.cancelAll()
        }
        for subscription in subscriptions { subscription.unsubscribe() }
    }

    private func subscribe() throws(NATSError) -> [NATSSubscription] {
        let queue = FabricNames.QueueGroup.delivery
        let input = self.input
        let logger = self.logger
        @Sendable func presence(_ message: borrowing NATSMessageView) -> PresenceEvent? {
            do { return try PresenceEvent.decode(message.payload) } catch {
                logger.warning("ignored a presence event", metadata: ["subject": "\(message.subject)", "error": "\(error)"])
                return nil
            }
        }
        let prefix = FabricNames.Subject.outboxPrefix.utf8.count
        return [
            try connection.subscribe(to: FabricNames.Subject.presenceAll) { message in
                guard let event = presence(message) else { return }
                if message.subject == FabricNames.Subject.presenceDisconnect {
                    input.yield(.disconnected(event))
                } else {
                    input.yield(.connected(event, start: false))
                }
            },
            try connection.subscribe(to: FabricNames.Subject.presenceConnect, queue: queue) { message in
                guard let event = presence(message) else { return }
                input.yield(.connected(event, start: true))
            },
            try connection.subscribe(to: FabricNames.Subject.outboxAll) { [hints] message in
                let client = String(message.subject.dropFirst(prefix))
                if hints.add(client, serve: false) { input.yield(.hinted(client: client, start: false)) }
            },
            try connection.subscribe(to: FabricNames.Subject.outboxAll, queue: queue) { [hints] message in
                let client = String(message.subject.dropFirst(prefix))
                if hints.add(client, serve: true) { input.yield(.hinted(client: client, start: true)) }
            },
        ]
    }

    // MARK: The loop

    private func loop(group: inout DiscardingTaskGroup) async {
        var pumps: [String: OutboxPump] = [:]
        var online: Set<String> = []
        var offline: Set<String> = []
        var generation: UInt64 = 0

        func start(_ client: String, session: String?, from sequence: UInt64, group: inout DiscardingTaskGroup) {
            pumps[client]?.cancel()
            generation += 1
            let pump = OutboxPump(client: client, generation: generation, session: session, start: sequence)
            pumps[client] = pump
            context.metrics.pumps.record(pumps.count)
            let input = self.input
            let context = self.context
            group.addTask {
                let end = await pump.run(context)
                input.yield(
                    .ended(
                        client: pump.client, generation: pump.generation, end: end, confirmedOnline: pump.isConfirmedOnline))
            }
        }

        for await command in commands {
            switch command {
            case .connected(let event, let serve):
                // A late connect of a session older than the one served here changes nothing
                // (the same session's connect still counts).
                if let current = pumps[event.client]?.session, event.isOlder(than: current) { break }
                if !serve {
                    context.metrics.connects.increment()
                    online.insert(event.client)
                    offline.remove(event.client)
                    // A new session elsewhere: this instance's pump for the old one stops.
                    if let pump = pumps[event.client], pump.session != event.session {
                        pump.cancel()
                        pumps[event.client] = nil
                    }
                } else if pumps[event.client]?.session != event.session {
                    online.insert(event.client)
                    offline.remove(event.client)
                    start(event.client, session: event.session, from: event.lastSequence + 1, group: &group)
                }
            case .disconnected(let event):
                context.metrics.disconnects.increment()
                online.remove(event.client)
                offline.insert(event.client)
                if let pump = pumps[event.client], pump.session == nil || pump.session == event.session {
                    pump.cancel()
                    pumps[event.client] = nil
                }
                if event.lastSequence > 0 {
                    let jetStream = self.jetStream
                    group.addTask {
                        _ = try? await jetStream.purge(
                            stream: FabricNames.Stream.outbox, subject: FabricNames.Subject.outbox(clientID: event.client),
                            before: event.lastSequence + 1)
                    }
                }
            case .hinted(let client, let serve):
                hints.taken(client, serve: serve)
                if let pump = pumps[client] {
                    pump.signal.wake()
                } else if serve, !online.contains(client), !offline.contains(client) {
                    // Unknown (this instance started after the client connected): probe it.
                    start(client, session: nil, from: 0, group: &group)
                }
            case .ended(let client, let ended, let end, let confirmed):
                if pumps[client]?.generation == ended { pumps[client] = nil }
                switch end {
                case .offline:
                    online.remove(client)
                    offline.insert(client)
                case .cancelled:
                    if confirmed, pumps[client] == nil { online.insert(client) }
                }
            case .sweep(let clients):
                for client in clients where pumps[client] == nil && !offline.contains(client) {
                    if online.contains(client) {
                        let check = self
                        group.addTask { if await check.isStalled(client) { check.input.yield(.stalled(client: client)) } }
                    } else {
                        // Unknown (queued before this instance started): probe it.
                        start(client, session: nil, from: 0, group: &group)
                    }
                }
            case .stalled(let client):
                if pumps[client] == nil, online.contains(client) {
                    logger.notice("serving a client whose queue stalled", metadata: ["client": "\(client)"])
                    start(client, session: nil, from: 0, group: &group)
                }
            }
            context.metrics.pumps.record(pumps.count)
        }
        for pump in pumps.values { pump.cancel() }
    }

    // MARK: Measuring and expiring

    /// Measures queue depths, removes expired messages, and asks the loop to serve
    /// clients nobody seems to serve; at once, then every `metrics_interval`.
    private func measureAndSweep() async {
        var lastExpiry = ContinuousClock.now - context.settings.expiryInterval
        while !Task.isCancelled {
            if ContinuousClock.now - lastExpiry >= context.settings.expiryInterval {
                lastExpiry = .now
                await expire()
            }
            if let depths = await measure() { input.yield(.sweep(clients: depths.keys.sorted())) }
            do { try await Task.sleep(for: min(metricsInterval, context.settings.expiryInterval)) } catch { return }
        }
    }

    /// Queue depth per client, recorded as metrics.
    private func measure() async -> [String: UInt64]? {
        guard
            let info = try? await jetStream.streamInfo(
                FabricNames.Stream.outbox, subjectsFilter: FabricNames.Subject.outboxAll)
        else { return nil }
        let prefix = FabricNames.Subject.outboxPrefix.count
        var depths: [String: UInt64] = [:]
        for (subject, count) in info.subjects where count > 0 { depths[String(subject.dropFirst(prefix))] = count }
        context.metrics.depth.record(Int64(clamping: info.messages))
        context.metrics.clients.record(depths.count)
        context.metrics.fullClients.record(depths.values.filter { $0 >= UInt64(maxPerClient) }.count)
        context.metrics.recordTop(depths, limit: context.settings.topClients)
        return depths
    }

    /// True when `client`'s oldest queued message has waited longer than twice the ack timeout.
    private func isStalled(_ client: String) async -> Bool {
        let subject = FabricNames.Subject.outbox(clientID: client)
        guard let oldest = try? await jetStream.directGet(stream: FabricNames.Stream.outbox, .next(subject: subject, from: 0))
        else { return false }
        let waited = Int64(WallClock.nowMillis()) - oldest.time / 1_000_000
        return waited > (context.settings.ackTimeout * 2).milliseconds
    }

    /// Removes queued messages older than `jetstream.outbox.max_age`, counting them. The
    /// stream is in store order, so the expired ones are a prefix of it.
    private func expire() async {
        var sequence: UInt64 = 0
        var removed = 0
        while !Task.isCancelled {
            guard
                let oldest = try? await jetStream.directGet(
                    stream: FabricNames.Stream.outbox, .next(subject: FabricNames.Subject.outboxAll, from: sequence)),
                context.isExpired(oldest.time)
            else { break }
            if (try? await jetStream.delete(stream: FabricNames.Stream.outbox, sequence: oldest.sequence)) != nil {
                context.metrics.expired.increment()
                removed += 1
            }
            sequence = oldest.sequence + 1
        }
        if removed > 0 { logger.notice("removed expired client messages", metadata: ["count": "\(removed)"]) }
    }
}
