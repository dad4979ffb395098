import FabricCore
import Synchronization
import Testing

@Suite("waitAtMost", .timeLimit(.minutes(1)))
struct WaitAtMostTests {
    @Test func anEventThatNeverComesEndsTheWaitAtTheLimit() async {
        // The waiter stays registered and unresumed: the wait must end anyway.
        let kept = Mutex<[@Sendable () -> Void]>([])
        let happened = await waitAtMost(.milliseconds(20)) { resume in kept.withLock { $0.append(resume) } }
        #expect(!happened)
        // A late resume does nothing (and does not crash).
        kept.withLock { $0 }.forEach { $0() }
    }

    @Test func anEventThatCameAlreadyOrComesLaterEndsTheWaitWithTrue() async {
        #expect(await waitAtMost(.seconds(60)) { resume in resume() })
        let later = await waitAtMost(.seconds(60)) { resume in
            Task {
                resume()
                resume()
            }
        }
        #expect(later)
    }
}
