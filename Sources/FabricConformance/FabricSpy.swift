import FabricCore
import FabricNATS
import Synchronization

/// A subscriber on `fabric.>` that keeps every message in arrival order: the proof that
/// something was, or was not, published.
public final class FabricSpy: Sendable {
    private let seen = Mutex<[NATSMessage]>([])
    private let waiting = Waiting<NATSMessage>()
    private let subscription = Mutex<NATSSubscription?>(nil)

    private init() {}

    /// Subscribes on `connection` and waits until the server has the subscription.
    public static func start(on connection: NATSConnection) async throws -> FabricSpy {
        let spy = FabricSpy()
        let subscription = try connection.subscribe(to: "fabric.>") { [spy] message in spy.record(message.copy()) }
        spy.subscription.withLock { $0 = subscription }
        try await connection.flush()
        return spy
    }

    private func record(_ message: NATSMessage) {
        seen.withLock { $0.append(message) }
        waiting.offer(message)
    }

    /// Everything received so far.
    public var messages: [NATSMessage] { seen.withLock { $0 } }

    /// Waits for a message satisfying `predicate` (already received or still to come).
    public func first(
        timeout: Duration = .seconds(10), where predicate: @escaping @Sendable (NATSMessage) -> Bool
    ) async -> NATSMessage? {
        await waiting.wait(
            timeout: timeout, current: { [self] in seen.withLock { $0.first(where: predicate) } }, matches: predicate)
    }

    /// Stops listening.
    public func stop() {
        subscription.withLock { $0?.unsubscribe() }
    }
}
