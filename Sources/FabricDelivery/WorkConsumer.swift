import FabricCore
import FabricNATS
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// The delivery of one service's work: its durable pull consumer on `FABRIC_WORK`
/// (`work-<service>`, filter `fabric.work.<service>`, `MaxAckPending` = concurrency,
/// `MaxDeliver` unlimited), shared by every delivery instance.
///
/// Messages arrive on nats.c's delivery thread through a `PullSubscription` that keeps
/// at most `concurrency` messages asked for or in work (`PullCredit`), and go through a
/// `WorkQueue` to at most `concurrency` workers, each making one attempt at a time. A
/// service has its own consumer, credit and workers, so a failing or slow one never
/// holds back another.
final class WorkConsumer: Sendable {
    let service: String
    let settings: DeliveryConfig.Service
    let config: DeliveryConfig
    let jetStream: JetStream
    let logger: Logger
    let metrics: DeliveryMetrics
    let failures: FailureRecords
    private let state: Mutex<State>
    private let queue: WorkQueue<WorkItem>
    private let policies = Mutex<[String: RetryPolicy]>([:])

    private struct State {
        var credit: PullCredit
        var subscription: PullSubscription?
        var stopping = false
        var resubscribe = false
        /// Ack subject → when the server last heard that the attempt is still going. An
        /// in-progress ack is sent under this lock and a verdict only after its entry is
        /// removed under it, so no `+WPI` can follow a verdict (and undo a nak's delay).
        var progress: [String: ContinuousClock.Instant] = [:]
    }

    var connection: NATSConnection { jetStream.connection }
    var consumerName: String { FabricNames.workConsumer(service: service) }

    init(service: String, config: DeliveryConfig, jetStream: JetStream, logger: Logger) {
        self.service = service
        self.settings = config.settings(for: service)
        self.config = config
        self.jetStream = jetStream
        var logger = logger
        logger[metadataKey: "service"] = "\(service)"
        self.logger = logger
        self.metrics = DeliveryMetrics(service: service)
        self.failures = FailureRecords(jetStream: jetStream, logger: logger)
        self.state = Mutex(State(credit: PullCredit(capacity: settings.concurrency)))
        self.queue = WorkQueue(capacity: settings.concurrency)
    }

    /// The consumer's configuration.
    var consumerConfig: ConsumerConfig {
        var consumer = ConsumerConfig(durable: consumerName, filterSubject: FabricNames.Subject.work(service: service))
        consumer.description = "fabric delivery: work of \(service)"
        consumer.ackPolicy = .explicit
        consumer.ackWait = config.ackWait
        consumer.maxDeliver = -1
        consumer.maxAckPending = Int64(settings.concurrency)
        consumer.maxWaiting = 512
        return consumer
    }

    /// Consumes until graceful shutdown, then finishes the attempts it started.
    func run() async {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await start()
                break
            } catch {
                logger.error("cannot start consuming; retrying", metadata: ["error": "\(error)"])
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            }
        }
        logger.info("consuming", metadata: ["consumer": "\(consumerName)", "concurrency": "\(settings.concurrency)"])
        await withDiscardingTaskGroup { group in
            group.addTask { await self.maintain() }
            group.addTask {
                try? await gracefulShutdown()
                self.stop()
            }
            // A worker per message that finds the others busy, up to the concurrency; each
            // stays for the next message. After `stop`, the messages already here are
            // finished (their own timeouts bound them), then the workers end.
            while await queue.nextSpawn() {
                group.addTask {
                    while let item = await self.queue.next() { await self.deliver(item) }
                }
            }
        }
        state.withLock { $0.subscription }?.stop()
        logger.info("stopped consuming")
    }

    /// Creates or updates the durable consumer and subscribes to its inbox.
    private func start() async throws(NATSError) {
        try await jetStream.ensureConsumer(stream: FabricNames.Stream.work, consumerConfig)
        let subscription = try PullSubscription(
            connection: connection, stream: FabricNames.Stream.work, consumer: consumerName
        ) { [weak self] message, signal in
            // Weak: the subscription belongs to this consumer; a strong capture would be a cycle.
            self?.receive(message, signal)
        }
        let previous = state.withLock { state -> PullSubscription? in
            defer {
                state.subscription = subscription
                state.credit.reset()
                state.resubscribe = false
            }
            return state.subscription
        }
        previous?.stop()
        topUp()
    }

    /// Stops asking for messages; those already here are finished, those still arriving
    /// are handed back at once so another instance takes them without waiting.
    private func stop() {
        state.withLock { $0.stopping = true }
        queue.close()
    }

    // MARK: Delivery thread

    private func receive(_ message: borrowing NATSMessageView, _ signal: PullSignal) {
        switch signal {
        case .message(let metadata):
            guard let ackSubject = message.replyTo else { return }
            let accepted = state.withLock { state -> Bool in
                state.credit.received()
                if state.stopping { return false }
                state.progress[ackSubject] = .now
                return true
            }
            guard accepted else {
                try? connection.acknowledge(ackSubject, .nak(delay: nil))
                state.withLock { $0.credit.settled() }
                return
            }
            let item = WorkItem(
                subject: message.subject, ackSubject: ackSubject, metadata: metadata, headers: message.headers,
                payload: Array(message.payload))
            if !queue.push(item) {
                try? connection.acknowledge(ackSubject, .nak(delay: nil))
                settle(ackSubject)
            }
        case .status(let code, let request, let description, _):
            switch code {
            case 100:
                return
            case 404, 408:
                if let request { state.withLock { $0.credit.ended(request) } }
                topUp()
            default:
                // 409: too many waiting requests, or the consumer is gone. The next
                // maintenance tick asks again, so a refusal cannot become a hot loop.
                if let request { state.withLock { $0.credit.ended(request) } }
                if description.lowercased().contains("deleted") { state.withLock { $0.resubscribe = true } }
                logger.warning("pull request refused", metadata: ["status": "\(code)", "description": "\(description)"])
            }
        }
    }

    /// Sends a pull request when there is room for one.
    private func topUp() {
        let (subscription, next) = state.withLock { state -> (PullSubscription?, (id: UInt64, batch: Int)?) in
            guard !state.stopping, let subscription = state.subscription else { return (nil, nil) }
            return (subscription, state.credit.next(now: .now, expires: config.pullExpiry, grace: .seconds(1)))
        }
        guard let subscription, let next else { return }
        do {
            try subscription.pull(id: next.id, batch: next.batch, expires: config.pullExpiry)
        } catch {
            state.withLock { $0.credit.ended(next.id) }
            logger.debug("cannot send a pull request", metadata: ["error": "\(error)"])
        }
    }

    /// Sends the verdict on a message: its in-progress acks stop first (see `State.progress`).
    private func send(_ kind: AckKind, for item: WorkItem) {
        state.withLock { _ = $0.progress.removeValue(forKey: item.ackSubject) }
        try? connection.acknowledge(item.ackSubject, kind)
    }

    private func settle(_ ackSubject: String) {
        let inFlight = state.withLock { state -> Int in
            state.credit.settled()
            state.progress.removeValue(forKey: ackSubject)
            return state.credit.inFlight
        }
        metrics.inFlight.record(inFlight)
        topUp()
    }

    // MARK: Maintenance

    /// Keeps long attempts' messages (in-progress acks), forgets pull requests the
    /// server never answered, and subscribes again when the consumer was deleted.
    private func maintain() async {
        // Ticking at a sixth of the ack wait, an entry due at a third gets its in-progress ack
        // at most half the ack wait after the previous one: the other half is the margin for
        // a stalled tick on a loaded machine.
        let tick = min(config.ackWait / 6, config.pullExpiry / 2, .seconds(1))
        while !Task.isCancelled {
            do { try await Task.sleep(for: tick) } catch { return }
            let now = ContinuousClock.now
            let (resubscribe, done) = state.withLock { state -> (Bool, Bool) in
                state.credit.expire(now: now)
                let due = state.progress.filter { now - $0.value >= config.ackWait / 3 }.keys
                for subject in due {
                    // Sent under the lock: a verdict removes the entry under it first, so this
                    // cannot reach the server after the verdict (a publish only buffers).
                    try? connection.acknowledge(subject, .inProgress)
                    state.progress[subject] = now
                }
                return (state.resubscribe && !state.stopping, state.stopping && state.progress.isEmpty)
            }
            if done { return }
            if resubscribe {
                logger.warning("consumer was deleted; creating it again")
                try? await start()
            }
            topUp()
        }
    }

    // MARK: Attempts

    /// Attempts one message and settles it: ack, nak with backoff, or dead-letter then term.
    func deliver(_ item: WorkItem) async {
        defer { settle(item.ackSubject) }
        let headers = item.headers
        let attempt = item.attempt
        let sequence = item.metadata.streamSequence
        let policy = retryPolicy(headers[HeaderName.retry])
        let deadline = headers[HeaderName.deadline].flatMap { UInt64($0) }
        // A redelivery may carry a verdict already reached whose dead letter could not be
        // stored: it is finished, not attempted again. (A first delivery has no record.)
        var record = attempt > 1 ? await failures.record(service: service, sequence: sequence) : nil
        let now = WallClock.nowMillis()
        switch AttemptVerdict.before(attempt: attempt, policy: policy, deadline: deadline, now: now, recorded: record?.verdict) {
        case .finish(let reason, let status, let error):
            await finish(
                item, reason: reason, status: status, error: error, answer: nil, attempts: record?.verdict?.attempts ?? attempt,
                record: record)
            return
        default:
            break
        }
        var timeout = settings.attemptTimeout
        if let deadline { timeout = min(timeout, .milliseconds(Int64(deadline - now))) }
        var request = headers
        request.removeAll { $0.name.hasPrefix("Nats-") }
        request.set(HeaderName.attempt, String(attempt))
        request.set(HeaderName.deadline, String(now + UInt64(max(1, timeout.milliseconds))))
        let partition = headers[HeaderName.partition].flatMap { Int($0) }
        let subject = FabricNames.Subject.service(service, partition: partition)

        metrics.attempts.increment()
        logger.debug(
            "attempting",
            metadata: [
                "id": "\(headers[HeaderName.id] ?? "?")", "attempt": "\(attempt)", "sequence": "\(sequence)",
                "ack": "\(item.ackSubject)",
            ])
        let started = ContinuousClock.now
        let outcome: AttemptOutcome
        var answer: NATSMessage?
        do {
            let reply = try await connection.request(subject, headers: request, payload: item.payload, timeout: timeout)
            answer = reply
            let status = reply.headers[HeaderName.status].flatMap(Status.init(rawValue:)) ?? .ok
            outcome = .answered(status, error: reply.headers[HeaderName.error])
        } catch {
            switch error.code {
            case .timeout: outcome = .timedOut
            case .noResponders: outcome = .noResponders
            default: outcome = .failed(error.message)
            }
        }
        metrics.attemptDuration.recordNanoseconds(nanoseconds(ContinuousClock.now - started))

        var counted = attempt
        if case .answered(let status, _) = outcome, !status.isRetryable {
            // Success or a terminal answer: no retry, nothing to count.
        } else {
            let updated = await failures.recordFailure(
                service: service, sequence: sequence, deliveryCount: attempt, time: WallClock.nowMillis(), known: record)
            counted = updated.attempts
            record = updated
        }
        let verdict = AttemptVerdict.after(
            outcome, attempt: counted, policy: policy, deadline: deadline, now: WallClock.nowMillis(),
            delay: { policy.delay(afterAttempt: $0) })
        switch verdict {
        case .ack:
            if let answer, let replyTo = headers[HeaderName.replyTo] { forward(answer, to: replyTo, attempt: attempt) }
            send(.ack, for: item)
            metrics.successes.increment()
            let latency = Int64(WallClock.nowMillis()) - Int64(item.storedMillis)
            metrics.latency.recordNanoseconds(max(0, latency) * 1_000_000)
            if attempt > 1 { await failures.forget(service: service, sequence: sequence) }
        case .retry(let delay):
            send(.nak(delay: delay), for: item)
            metrics.retries.increment()
            logger.debug(
                "attempt failed; retrying",
                metadata: [
                    "id": "\(headers[HeaderName.id] ?? "?")", "attempt": "\(counted)", "delay": "\(delay)",
                    "outcome": "\(outcome.description)",
                ])
        case .finish(let reason, let status, let error):
            await finish(item, reason: reason, status: status, error: error, answer: answer, attempts: counted, record: record)
        case .attempt:
            break
        }
    }

    /// Dead-letters (then terms) or drops a message that gets no more attempts, and
    /// tells a waiting client. `record` is its failure record when already read; one
    /// with a verdict means this finishes a verdict reached on an earlier delivery, whose
    /// client was told then.
    private func finish(
        _ item: WorkItem, reason: DeadLetterReason, status: Status?, error: String, answer: NATSMessage?, attempts: Int,
        record: FailureRecord?
    ) async {
        let headers = item.headers
        let now = WallClock.nowMillis()
        let sequence = item.metadata.streamSequence
        let toldBefore = record?.verdict != nil
        let onFailure = headers[HeaderName.onFailure].flatMap(Route.OnFailure.init(rawValue:)) ?? .deadLetter
        if onFailure == .drop {
            send(.term, for: item)
            metrics.dropped[reason]?.increment()
            logger.warning(
                "dropped after failing", metadata: ["id": "\(headers[HeaderName.id] ?? "?")", "reason": "\(reason.rawValue)"])
        } else {
            var first = record?.firstFailure
            if first == nil { first = await failures.firstFailure(service: service, sequence: sequence) }
            let firstFailure = first ?? now
            let deadLetter = DeadLetterHeaders.make(
                original: headers, originalSubject: item.subject, reason: reason, attempts: attempts, status: status,
                error: error, firstFailure: firstFailure, lastFailure: now)
            do {
                _ = try await jetStream.publish(
                    FabricNames.Subject.deadLetter(service: service), headers: deadLetter, payload: item.payload,
                    messageID: headers[HeaderName.natsMsgId] ?? "\(headers[HeaderName.id] ?? "seq-\(sequence)").\(service)",
                    expectedStream: FabricNames.Stream.deadLetter)
            } catch let failure {
                // Not stored: keep the work message; it comes back and is finished then.
                // The verdict goes on record first, so that delivery stores the dead letter
                // rather than asking the backend again; the client hears it now.
                logger.error("cannot store a dead letter; will try again", metadata: ["error": "\(failure)"])
                if !toldBefore {
                    let verdict = FailureRecord.Verdict(reason: reason, status: status, error: error, attempts: attempts)
                    if await failures.recordVerdict(service: service, sequence: sequence, verdict, firstFailure: firstFailure) {
                        tell(headers, reason: reason, status: status, error: error, answer: answer, attempts: attempts)
                    }
                }
                send(.nak(delay: .seconds(1)), for: item)
                return
            }
            send(.term, for: item)
            metrics.deadLettered[reason]?.increment()
            logger.warning(
                "dead-lettered",
                metadata: [
                    "id": "\(headers[HeaderName.id] ?? "?")", "reason": "\(reason.rawValue)", "attempts": "\(attempts)",
                    "error": "\(error)",
                ])
        }
        if !toldBefore { tell(headers, reason: reason, status: status, error: error, answer: answer, attempts: attempts) }
        await failures.forget(service: service, sequence: sequence)
    }

    /// Tells a client still waiting on the request (`Fabric-Reply-To`) how it ended: the
    /// backend's terminal answer, or the status and error of the verdict.
    private func tell(
        _ headers: Headers, reason: DeadLetterReason, status: Status?, error: String, answer: NATSMessage?, attempts: Int
    ) {
        guard let replyTo = headers[HeaderName.replyTo] else { return }
        if let answer, reason == .error {
            forward(answer, to: replyTo, attempt: attempts)
        } else {
            try? connection.reply(to: replyTo, status: status ?? .error, error: error)
        }
    }

    /// The policy stamped in `Fabric-Retry`, parsed once per distinct value (a route's
    /// messages all carry the same one); the default when absent or unreadable.
    private func retryPolicy(_ value: String?) -> RetryPolicy {
        guard let value else { return .default }
        if let known = policies.withLock({ $0[value] }) { return known }
        let parsed = (try? RetryPolicy(headerValue: value)) ?? .default
        policies.withLock { cache in
            if cache.count >= 256 { cache.removeAll() }
            cache[value] = parsed
        }
        return parsed
    }

    /// Sends the backend's answer to the client waiting on the stored request.
    private func forward(_ answer: NATSMessage, to replyTo: String, attempt: Int) {
        var headers = answer.headers
        headers.set(HeaderName.attempt, String(attempt))
        do {
            try connection.publish(replyTo, headers: headers, payload: answer.payload)
        } catch {
            logger.debug("cannot forward an answer", metadata: ["error": "\(error)"])
        }
    }

    /// Updates the lag gauges from the consumer's state.
    func measure() async {
        guard let info = try? await jetStream.consumerInfo(stream: FabricNames.Stream.work, consumer: consumerName) else {
            return
        }
        metrics.lag.record(Int64(clamping: info.pending))
        metrics.ackPending.record(info.ackPending)
    }
}

/// Whole nanoseconds of a duration, clamped (swift-metrics timers take Int64).
func nanoseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    return overflow ? .max : product &+ attoseconds / 1_000_000_000
}
