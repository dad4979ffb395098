import FabricTestSupport
import Synchronization
import Testing

@testable import FabricNATS

/// `DeadlineTimer`: every deadline fires once, and deadlines close together fire together.
@Suite("Request deadlines", .timeLimit(.minutes(1)))
struct DeadlineTimerTests {
    @Test func deadlinesCloseTogetherFireInOnePassAndEachOnce() async throws {
        let fired = Mutex<[UInt64]>([])
        let timer = DeadlineTimer(slack: .milliseconds(100)) { id in fired.withLock { $0.append(id) } }
        defer { timer.stop() }
        // Thirty deadlines a millisecond apart, as answered requests expire under load:
        // without the slack the thread would wake for each of them.
        for id in UInt64(0)..<30 { timer.schedule(id: id, after: .milliseconds(20 + Int64(id))) }
        #expect(await eventually { fired.withLock { $0.count } == 30 })
        #expect(fired.withLock { $0.sorted() } == Array(0..<30))
        #expect(timer.passes.load(ordering: .relaxed) <= 2)
    }

    @Test func anEarlierDeadlineWakesTheThread() async throws {
        let fired = Mutex<[UInt64]>([])
        let timer = DeadlineTimer(slack: .zero) { id in fired.withLock { $0.append(id) } }
        defer { timer.stop() }
        timer.schedule(id: 1, after: .seconds(60))
        timer.schedule(id: 2, after: .milliseconds(10))
        #expect(await eventually { fired.withLock { $0 } == [2] })
    }
}
