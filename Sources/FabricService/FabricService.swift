import FabricCore
import FabricNATS
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// A backend service: a name, handlers per message type, run as a `Service` in the
/// service's queue group (`fabric-svc-<name>`), so any number of instances share work.
///
/// ```swift
/// let echo = FabricService(name: "echo", connection: connection, jetStream: jetStream)
/// echo.on("echo") { request, _ in .ok(request.payload) }
/// try await echo.run()
/// ```
///
/// It receives `fabric.svc.<name>` and its partitions, answers requests (mapping thrown
/// errors to `error`, `RetryableError` to `retry`), skips work whose `Fabric-Deadline`
/// has passed and abandons it when the deadline passes mid-way, copies `Fabric-Cache`
/// onto answers, and runs at most `concurrency` handlers at once. Handlers registered with
/// `onImmediate` run on the delivery thread without a task.
public final class FabricService: Service, Sendable {
    /// A handler.
    public typealias Handler = @Sendable (ServiceRequest, ServiceContext) async throws -> ServiceResponse
    /// A handler that neither suspends nor blocks (`onImmediate`).
    public typealias ImmediateHandler = @Sendable (ServiceRequest, ServiceContext) throws -> ServiceResponse

    /// A registered handler.
    enum Registered: Sendable {
        case suspending(Handler)
        case immediate(ImmediateHandler)
    }

    /// A message whose envelope was read and whose handler runs in a task.
    struct Admitted: Sendable {
        let replyTo: String?
        let request: ServiceRequest
        let handler: Handler
    }

    /// Service name (subject token).
    public let name: String
    let connection: NATSConnection
    let jetStream: JetStream
    let concurrency: Int
    let logger: Logger
    private let handlers = Mutex<[(pattern: TypePattern, handler: Registered)]>([])
    private let started = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    private let handled: Counter
    private let failed: Counter
    private let dropped: Counter
    /// Messages waiting for a free handler task; past this the newest are answered
    /// `unavailable` (and counted in `fabric_service_dropped_total`).
    let queueLimit: Int

    /// Creates a service; register handlers with `on(_:_:)` before `run()`. At most
    /// `concurrency` handlers run at once and `queueLimit` messages wait for one.
    public init(
        name: String, connection: NATSConnection, jetStream: JetStream, concurrency: Int = 64, queueLimit: Int = 4096,
        logger: Logger? = nil
    ) {
        precondition((try? MessageType.validateService(name)) != nil, "'\(name)' is not a service name")
        self.name = name
        self.connection = connection
        self.jetStream = jetStream
        self.concurrency = concurrency
        self.queueLimit = max(1, queueLimit)
        self.logger = logger ?? Logger(label: "fabric.service.\(name)")
        handled = Counter(label: "fabric_service_handled_total", dimensions: [("service", name)])
        failed = Counter(label: "fabric_service_failed_total", dimensions: [("service", name)])
        dropped = Counter(label: "fabric_service_dropped_total", dimensions: [("service", name)])
    }

    /// Handles messages whose type matches `pattern` (NATS wildcards: `sensor.*`, `>`);
    /// the first registered match wins.
    public func on(_ pattern: String, _ handler: @escaping Handler) {
        register(pattern, .suspending(handler))
    }

    /// Like `on(_:_:)` for a handler that neither suspends nor blocks: it runs on nats.c's
    /// delivery thread as the message arrives, with no task and no thread hop. It shares
    /// that thread with every subscription it delivers, so it must be quick; it does not
    /// count against `concurrency`, and a deadline can only stop it before it starts.
    public func onImmediate(_ pattern: String, _ handler: @escaping ImmediateHandler) {
        register(pattern, .immediate(handler))
    }

    private func register(_ pattern: String, _ handler: Registered) {
        guard let parsed = try? TypePattern(pattern) else { preconditionFailure("'\(pattern)' is not a type pattern") }
        handlers.withLock { $0.append((parsed, handler)) }
    }

    public func run() async throws {
        let queue = FabricNames.QueueGroup.service(name)
        let (admitted, input) = AsyncStream.makeStream(of: Admitted.self, bufferingPolicy: .bufferingOldest(queueLimit))
        let receive: @Sendable (borrowing NATSMessageView) -> Void = { [self] view in
            // On a connection that batches, an answer made here waits in nats.c's buffer until
            // the subscription's burst of messages ends (`NATSWriteBuffer`).
            guard let work = self.receive(view.copy(), flush: false) else { return }
            if case .dropped = input.yield(work) {
                self.dropped.increment()
                self.answer(work.replyTo, work.request.envelope, .status(.unavailable, "service \(self.name) is saturated"))
            }
        }
        let subscriptions = [
            try connection.subscribe(to: FabricNames.Subject.service(name), queue: queue, handler: receive),
            try connection.subscribe(to: FabricNames.Subject.service(name) + ".*", queue: queue, handler: receive),
        ]
        try await connection.flush()
        logger.info("service started", metadata: ["service": "\(name)"])
        let waiters = started.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
        await withTaskGroup(of: Void.self) { workers in
            var running = 0
            var waiting = admitted.cancelOnGracefulShutdown().makeAsyncIterator()
            // A free worker first, then the next message: what waits stays in the bounded queue.
            while true {
                if running >= self.concurrency {
                    await workers.next()
                    running -= 1
                }
                guard let work = await waiting.next() else { break }
                workers.addTask { await self.handle(work) }
                running += 1
            }
        }
        for subscription in subscriptions { subscription.unsubscribe() }
        input.finish()
        logger.info("service stopped", metadata: ["service": "\(name)"])
    }

    /// Suspends until the service subscribed and the server confirmed it.
    public func waitUntilReady() async {
        await withCheckedContinuation { continuation in
            let now = started.withLock { state -> Bool in
                if state.done { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// On nats.c's delivery thread: answers what needs no handler task (an invalid
    /// envelope, a passed deadline, no handler, an immediate handler) and returns the rest.
    func receive(_ message: NATSMessage, flush: Bool = true) -> Admitted? {
        let envelope: Envelope
        do {
            envelope = try Envelope(headers: message.headers, payload: message.payload)
        } catch {
            failed.increment()
            answer(message.replyTo, nil, ServiceResponse.status(.rejected, "invalid envelope: \(error)"), flush: flush)
            return nil
        }
        let request = ServiceRequest(envelope: envelope, subject: message.subject, expectsReply: message.replyTo != nil)
        if let deadline = envelope.deadline, deadline <= WallClock.nowMillis() {
            answer(message.replyTo, envelope, .status(.timeout, "deadline passed before the service started"), flush: flush)
            return nil
        }
        guard let handler = handlers.withLock({ list in list.first { $0.pattern.matches(envelope.type) }?.handler }) else {
            let missing = ServiceResponse.status(.notFound, "service \(name) has no handler for \(envelope.type)")
            answer(message.replyTo, envelope, missing, flush: flush)
            return nil
        }
        switch handler {
        case .suspending(let handler):
            return Admitted(replyTo: message.replyTo, request: request, handler: handler)
        case .immediate(let handler):
            let response: ServiceResponse
            do {
                response = try handler(request, context(for: request))
            } catch let error as RetryableError {
                response = .retry(error.description)
            } catch {
                response = .error("\(error)")
            }
            finish(message.replyTo, envelope, response, flush: flush)
            return nil
        }
    }

    /// Runs an admitted message's handler in this task and answers it when someone waits.
    func handle(_ work: Admitted) async {
        let envelope = work.request.envelope
        // It may have waited for a free task.
        if let deadline = envelope.deadline, deadline <= WallClock.nowMillis() {
            answer(work.replyTo, envelope, .status(.timeout, "deadline passed before the service started"))
            return
        }
        let response = await run(work.handler, work.request, context(for: work.request), deadline: envelope.deadline)
        finish(work.replyTo, envelope, response)
    }

    private func context(for request: ServiceRequest) -> ServiceContext {
        ServiceContext(connection: connection, jetStream: jetStream, serviceName: name, request: request)
    }

    private func finish(_ reply: String?, _ envelope: Envelope, _ response: ServiceResponse, flush: Bool = true) {
        if response.status == .ok { handled.increment() } else { failed.increment() }
        answer(reply, envelope, response, flush: flush)
    }

    private func run(
        _ handler: @escaping Handler, _ request: ServiceRequest, _ context: ServiceContext, deadline: UInt64?
    )
        async -> ServiceResponse
    {
        await withTaskGroup(of: ServiceResponse?.self) { group in
            group.addTask {
                do {
                    return try await handler(request, context)
                } catch let error as RetryableError {
                    return .retry(error.description)
                } catch {
                    return .error("\(error)")
                }
            }
            if let deadline {
                group.addTask {
                    let remaining = Int64(deadline) - Int64(WallClock.nowMillis())
                    try? await Task.sleep(for: .milliseconds(max(0, remaining)))
                    return Task.isCancelled ? nil : .status(.timeout, "deadline passed while the service worked")
                }
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .status(.timeout, "deadline passed while the service worked")
        }
    }

    private func answer(_ reply: String?, _ request: Envelope?, _ response: ServiceResponse, flush: Bool = true) {
        guard let reply else { return }
        var headers = response.headers
        if let request {
            if let correlation = request.correlationID { headers.set(HeaderName.correlationId, correlation) }
            if let traceparent = request.traceparent { headers.set(HeaderName.traceparent, TraceParent.child(of: traceparent)) }
            if response.status == .ok, let cache = request.cache { headers.set(HeaderName.cache, cache.headerValue) }
        }
        do {
            try connection.reply(
                to: reply, status: response.status, error: response.error, headers: headers, payload: response.payload,
                flush: flush)
        } catch {
            logger.warning("cannot answer", metadata: ["service": "\(name)", "error": "\(error)"])
        }
    }
}
