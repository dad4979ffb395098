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
/// onto answers, and runs at most `concurrency` handlers at once.
public final class FabricService: Service, Sendable {
    /// A handler.
    public typealias Handler = @Sendable (ServiceRequest, ServiceContext) async throws -> ServiceResponse

    /// Service name (subject token).
    public let name: String
    let connection: NATSConnection
    let jetStream: JetStream
    let concurrency: Int
    let logger: Logger
    private let handlers = Mutex<[(pattern: TypePattern, handler: Handler)]>([])
    private let started = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    private let handled: Counter
    private let failed: Counter

    /// Creates a service; register handlers with `on(_:_:)` before `run()`.
    public init(name: String, connection: NATSConnection, jetStream: JetStream, concurrency: Int = 64, logger: Logger? = nil) {
        precondition((try? MessageType.validateService(name)) != nil, "'\(name)' is not a service name")
        self.name = name
        self.connection = connection
        self.jetStream = jetStream
        self.concurrency = concurrency
        self.logger = logger ?? Logger(label: "fabric.service.\(name)")
        handled = Counter(label: "fabric_service_handled_total", dimensions: [("service", name)])
        failed = Counter(label: "fabric_service_failed_total", dimensions: [("service", name)])
    }

    /// Handles messages whose type matches `pattern` (NATS wildcards: `sensor.*`, `>`);
    /// the first registered match wins.
    public func on(_ pattern: String, _ handler: @escaping Handler) {
        guard let parsed = try? TypePattern(pattern) else { preconditionFailure("'\(pattern)' is not a type pattern") }
        handlers.withLock { $0.append((parsed, handler)) }
    }

    public func run() async throws {
        let queue = FabricNames.QueueGroup.service(name)
        let base = try connection.messages(
            on: FabricNames.Subject.service(name), queue: queue, bufferLimit: 4096, label: "svc-\(name)")
        let partitions = try connection.messages(
            on: FabricNames.Subject.service(name) + ".*", queue: queue, bufferLimit: 4096, label: "svc-\(name)")
        try await connection.flush()
        logger.info("service started", metadata: ["service": "\(name)"])
        let waiters = started.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
        await withTaskGroup(of: Void.self) { group in
            for stream in [base, partitions] {
                group.addTask {
                    await withTaskGroup(of: Void.self) { workers in
                        var running = 0
                        for await message in stream.cancelOnGracefulShutdown() {
                            if running >= self.concurrency {
                                await workers.next()
                                running -= 1
                            }
                            workers.addTask { await self.handle(message) }
                            running += 1
                        }
                    }
                }
            }
        }
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

    /// Handles one message and answers it when someone waits.
    func handle(_ message: NATSMessage) async {
        let envelope: Envelope
        do {
            envelope = try Envelope(headers: message.headers, payload: message.payload)
        } catch {
            failed.increment()
            answer(message.replyTo, nil, ServiceResponse.status(.rejected, "invalid envelope: \(error)"))
            return
        }
        let request = ServiceRequest(envelope: envelope, subject: message.subject, expectsReply: message.replyTo != nil)
        if let deadline = envelope.deadline, deadline <= WallClock.nowMillis() {
            answer(message.replyTo, envelope, .status(.timeout, "deadline passed before the service started"))
            return
        }
        guard let handler = handlers.withLock({ list in list.first { $0.pattern.matches(envelope.type) }?.handler }) else {
            answer(message.replyTo, envelope, .status(.notFound, "service \(name) has no handler for \(envelope.type)"))
            return
        }
        let context = ServiceContext(connection: connection, jetStream: jetStream, serviceName: name, request: request)
        let response = await run(handler, request, context, deadline: envelope.deadline)
        if response.status == .ok { handled.increment() } else { failed.increment() }
        answer(message.replyTo, envelope, response)
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

    private func answer(_ reply: String?, _ request: Envelope?, _ response: ServiceResponse) {
        guard let reply else { return }
        var headers = response.headers
        if let request {
            if let correlation = request.correlationID { headers.set(HeaderName.correlationId, correlation) }
            if let traceparent = request.traceparent { headers.set(HeaderName.traceparent, TraceParent.child(of: traceparent)) }
            if response.status == .ok, let cache = request.cache { headers.set(HeaderName.cache, cache.headerValue) }
        }
        do {
            try connection.reply(
                to: reply, status: response.status, error: response.error, headers: headers, payload: response.payload)
        } catch {
            logger.warning("cannot answer", metadata: ["service": "\(name)", "error": "\(error)"])
        }
    }
}
