import Dispatch
import FabricCore
import Foundation
import Synchronization

/// Fires a callback when a request's deadline passes, at most `slack` late.
///
/// One thread and a heap for every pending request of a connection: inserting is
/// O(log n) and cancelling is free (an expired id that was already answered is simply
/// ignored), where a task or a dispatch timer per request would cost an allocation and
/// a thread hop each.
///
/// Every answered request's entry still expires, one timeout after it was sent. Woken for
/// each, the thread would wake as often as requests arrive (10k times a second under
/// load, half a minute after the load began); it sleeps `slack` past the first deadline
/// instead and takes all that are due together.
final class DeadlineTimer: Sendable {
    private struct Entry {
        var deadline: UInt64
        var id: UInt64
    }
    private struct State {
        var heap: [Entry] = []
        var running = true
    }

    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)
    private let onExpiry: @Sendable (UInt64) -> Void
    private let slack: UInt64
    /// Times the thread woke and found deadlines passed.
    let passes = Atomic<Int>(0)

    init(slack: Duration = .milliseconds(5), onExpiry: @escaping @Sendable (UInt64) -> Void) {
        self.onExpiry = onExpiry
        self.slack = UInt64(max(0, slack.milliseconds)) * 1_000_000
        let thread = Thread { [self] in self.loop() }
        thread.name = "fabric-nats-timeouts"
        thread.start()
    }

    /// Schedules `id` to expire after `timeout`.
    func schedule(id: UInt64, after timeout: Duration) {
        let deadline = DispatchTime.now().uptimeNanoseconds &+ UInt64(max(0, timeout.milliseconds)) &* 1_000_000
        let becameFirst = state.withLock { state -> Bool in
            state.heap.append(Entry(deadline: deadline, id: id))
            DeadlineTimer.siftUp(&state.heap, from: state.heap.count - 1)
            return state.heap[0].id == id
        }
        if becameFirst { wakeUp.signal() }
    }

    /// Stops the thread; pending deadlines never fire.
    func stop() {
        state.withLock { $0.running = false }
        wakeUp.signal()
    }

    private func loop() {
        while true {
            let (running, next) = state.withLock { ($0.running, $0.heap.first?.deadline) }
            guard running else { return }
            guard let next else {
                wakeUp.wait()
                continue
            }
            let now = DispatchTime.now().uptimeNanoseconds
            if next > now {
                _ = wakeUp.wait(timeout: DispatchTime(uptimeNanoseconds: next &+ slack))
                continue
            }
            let expired = state.withLock { state -> [UInt64] in
                var ids: [UInt64] = []
                while let first = state.heap.first, first.deadline <= now {
                    ids.append(first.id)
                    DeadlineTimer.popFirst(&state.heap)
                }
                return ids
            }
            passes.add(1, ordering: .relaxed)
            for id in expired { onExpiry(id) }
        }
    }

    private static func siftUp(_ heap: inout [Entry], from index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func popFirst(_ heap: inout [Entry]) {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
