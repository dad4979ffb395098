import FabricConformance
import FabricNATS
import Synchronization

/// Keeps every message on one subject (wildcards allowed) in arrival order, and lets a
/// test wait for one. Subscribing makes it a responder: requests to the subject no longer
/// fail with "no responders".
final class SubjectRecorder: Sendable {
    private let seen = Mutex<[NATSMessage]>([])
    private let waiting = Waiting<NATSMessage>()
    private let subscription = Mutex<NATSSubscription?>(nil)

    private init() {}

    /// Subscribes on `connection` and waits until the server has the subscription.
    static func start(on connection: NATSConnection, subject: String) async throws -> SubjectRecorder {
        let recorder = SubjectRecorder()
        let subscription = try connection.subscribe(to: subject) { [recorder] message in
            let copy = message.copy()
            recorder.seen.withLock { $0.append(copy) }
            recorder.waiting.offer(copy)
        }
        recorder.subscription.withLock { $0 = subscription }
        try await connection.flush()
        return recorder
    }

    /// Everything received so far.
    var messages: [NATSMessage] { seen.withLock { $0 } }

    /// Waits for a message satisfying `predicate` (already received or still to come).
    func first(
        timeout: Duration = .seconds(20), where predicate: @escaping @Sendable (NATSMessage) -> Bool
    ) async -> NATSMessage? {
        await waiting.wait(
            timeout: timeout, current: { [self] in seen.withLock { $0.first(where: predicate) } }, matches: predicate)
    }

    /// Stops listening.
    func stop() { subscription.withLock { $0?.unsubscribe() } }
}
