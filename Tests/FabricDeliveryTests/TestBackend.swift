import Dispatch
import FabricCore
import FabricNATS
import Synchronization

/// A backend played by the test: subscribes to `fabric.svc.<service>` (and its
/// partitions), records every request it gets, and answers as `answer` decides.
///
/// Subscribed and flushed before `start` returns, so no attempt meets "no responders".
final class TestBackend: Sendable {
    struct Delivery: Sendable {
        let id: String
        let attempt: Int
        let at: ContinuousClock.Instant
        let wallMillis: UInt64
        let payload: String
        let headers: Headers
        let subject: String
    }

    /// What to answer: a status, an error text and a body.
    struct Answer: Sendable {
        var status: Status
        var error: String?
        var payload: String

        static func ok(_ payload: String = "{}") -> Answer { Answer(status: .ok, error: nil, payload: payload) }
        static func retry(_ error: String = "try later") -> Answer { Answer(status: .retry, error: error, payload: "") }
        static func error(_ error: String = "broken") -> Answer { Answer(status: .error, error: error, payload: "") }
    }

    let service: String
    private let recorded = Mutex<[Delivery]>([])
    private let subscriptions: Mutex<[NATSSubscription]>

    private init(service: String) {
        self.service = service
        subscriptions = Mutex([])
    }

    /// Subscribes; answers come after `delay` when given (off the delivery thread), so
    /// attempts stay in flight a while, as with real work.
    static func start(
        _ connection: NATSConnection, service: String, delay: Duration? = nil,
        answer: @escaping @Sendable (Delivery) -> Answer? = { _ in .ok() }
    ) async throws -> TestBackend {
        let backend = TestBackend(service: service)
        var created: [NATSSubscription] = []
        for subject in [FabricNames.Subject.service(service), FabricNames.Subject.service(service) + ".*"] {
            created.append(
                try connection.subscribe(to: subject, queue: FabricNames.QueueGroup.service(service)) {
                    [weak backend] message in
                    guard let backend else { return }
                    let headers = message.headers
                    let delivery = Delivery(
                        id: headers[HeaderName.id] ?? "?", attempt: headers[HeaderName.attempt].flatMap { Int($0) } ?? 0,
                        at: .now, wallMillis: WallClock.nowMillis(), payload: String(decoding: message.payload, as: UTF8.self),
                        headers: headers, subject: message.subject)
                    backend.recorded.withLock { $0.append(delivery) }
                    guard let reply = message.replyTo, let answer = answer(delivery) else { return }
                    let send: @Sendable () -> Void = {
                        try? connection.reply(
                            to: reply, status: answer.status, error: answer.error, payload: Array(answer.payload.utf8))
                    }
                    if let delay {
                        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(delay.milliseconds))) { send() }
                    } else {
                        send()
                    }
                })
        }
        backend.subscriptions.withLock { $0 = created }
        try await connection.flush()
        return backend
    }

    /// Every request so far, in arrival order.
    var deliveries: [Delivery] { recorded.withLock { $0 } }

    /// How many requests came.
    var count: Int { recorded.withLock { $0.count } }

    /// Requests for message `id`, in arrival order.
    func deliveries(of id: String) -> [Delivery] { recorded.withLock { $0.filter { $0.id == id } } }

    /// Distinct message ids seen.
    var distinctIDs: Set<String> { Set(recorded.withLock { $0.map(\.id) }) }

    func stop() { subscriptions.withLock { $0.forEach { $0.unsubscribe() } } }
}
