import FabricCore
import Metrics
import Synchronization

/// The instance's publishes and requests in flight, and the shedding decision for each new
/// one (`SheddingPolicy`, the rule every adapter shares): counted first, decided on the
/// count before ours, so of N messages racing for a class's last slot exactly one gets it.
final class MessageAdmission: Sendable {
    let policy: SheddingPolicy
    private let count = Atomic<Int>(0)
    private let metrics: WebSocketMetrics

    init(policy: SheddingPolicy, metrics: WebSocketMetrics) {
        self.policy = policy
        self.metrics = metrics
    }

    /// Messages in flight now.
    var inFlight: Int { count.load(ordering: .relaxed) }

    /// Takes a slot for a message of `priority`; false when its class is shed at this load.
    func admit(_ priority: Priority) -> Bool {
        let before = count.wrappingAdd(1, ordering: .relaxed).oldValue
        guard policy.admits(priority, inFlight: before) else {
            release()
            metrics.shed(priority)
            return false
        }
        metrics.inFlightGauge.record(before + 1)
        return true
    }

    /// Gives back a slot taken by `admit`.
    func release() {
        let after = count.wrappingSubtract(1, ordering: .relaxed).newValue
        metrics.inFlightGauge.record(after)
    }
}
