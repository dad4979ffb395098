import FabricCore
import Synchronization

/// The wall clock plus an offset a test moves forward, so cache expiry is tested without
/// waiting for it.
final class TestClock: Sendable {
    private let offset = Atomic<UInt64>(0)

    /// Now, in ms since the epoch, as the adapter sees it.
    func now() -> UInt64 { WallClock.nowMillis() &+ offset.load(ordering: .relaxed) }

    /// Moves the adapter's time forward.
    func advance(by duration: Duration) { offset.wrappingAdd(UInt64(duration.milliseconds), ordering: .relaxed) }
}
