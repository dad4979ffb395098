import FabricObservability
import Synchronization

/// Counts listeners still binding; the adapter is ready when none is left.
final class PendingListeners: Sendable {
    private let remaining: Mutex<Int>
    private let readiness: Readiness

    init(count: Int, readiness: Readiness) {
        remaining = Mutex(count)
        self.readiness = readiness
        if count == 0 { readiness.ready("http") }
    }

    /// One more listener is bound.
    func started() {
        let left = remaining.withLock { count -> Int in
            count -= 1
            return count
        }
        if left == 0 { readiness.ready("http") }
    }
}
