import FabricCore
import Metrics
import Synchronization

/// The adapter's in-flight count, the shedding decision for each new request, and the
/// drain: once it begins, new requests are refused and the last one to finish says so.
///
/// Counting first and deciding on the count before ours makes the decision exact under
/// any concurrency: of N requests racing for the last slot of a class, one gets it. The
/// drain flag and the count use sequentially consistent atomics, so a request either
/// sees the drain and leaves, or is counted before the drain looks (and is waited for).
final class LoadShedder: Sendable {
    /// What `admit` decided.
    enum Admission: Sendable, Equatable {
        /// Go ahead; call `release` when done.
        case admitted
        /// Refused: the class is shed at this load.
        case shed
        /// Refused: the adapter is shutting down.
        case draining
    }

    let policy: SheddingPolicy
    private let count = Atomic<Int>(0)
    private let draining = Atomic<Bool>(false)
    private let idle = Mutex<[CheckedContinuation<Void, Never>]>([])
    private let metrics: HTTPMetrics

    init(policy: SheddingPolicy, metrics: HTTPMetrics) {
        self.policy = policy
        self.metrics = metrics
    }

    /// Requests in flight now.
    var inFlight: Int { count.load(ordering: .sequentiallyConsistent) }

    /// Takes a slot for a request of `priority` unless it is shed or the adapter drains.
    func admit(_ priority: Priority) -> Admission {
        let before = count.wrappingAdd(1, ordering: .sequentiallyConsistent).oldValue
        if draining.load(ordering: .sequentiallyConsistent) {
            release()
            return .draining
        }
        guard policy.admits(priority, inFlight: before) else {
            release()
            metrics.shed(priority)
            return .shed
        }
        metrics.inFlight.record(before + 1)
        return .admitted
    }

    /// Gives back a slot taken by `admit`.
    func release() {
        let after = count.wrappingSubtract(1, ordering: .sequentiallyConsistent).newValue
        metrics.inFlight.record(after)
        if after == 0, draining.load(ordering: .sequentiallyConsistent) { wakeIdleWaiters() }
    }

    /// Refuses new requests from now on and waits until those in flight are done.
    func drain() async {
        draining.store(true, ordering: .sequentiallyConsistent)
        await withCheckedContinuation { continuation in
            idle.withLock { $0.append(continuation) }
            // Checked after registering: a release that saw zero before we registered is not missed.
            if count.load(ordering: .sequentiallyConsistent) == 0 { wakeIdleWaiters() }
        }
    }

    private func wakeIdleWaiters() {
        let waiters = idle.withLock { waiters in
            defer { waiters = [] }
            return waiters
        }
        waiters.forEach { $0.resume() }
    }
}
