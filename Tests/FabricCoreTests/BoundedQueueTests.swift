import FabricCore
import Testing

@Suite("Bounded queues")
struct BoundedQueueTests {
    @Test func dropNewestKeepsWhatIsQueued() {
        var queue = BoundedQueue<Int>(capacity: 2, policy: .dropNewest)
        for value in 1...4 { queue.push(value) }
        #expect(queue.dropped == 2)
        #expect(queue.pop() == 1)
        #expect(queue.pop() == 2)
        #expect(queue.pop() == nil)
    }

    @Test func dropOldestKeepsTheNewest() {
        var queue = BoundedQueue<Int>(capacity: 2, policy: .dropOldest)
        queue.push(1)
        queue.push(2)
        guard case .droppedOldest(let evicted) = queue.push(3) else {
            Issue.record("a full drop-oldest queue did not evict")
            return
        }
        #expect(evicted == 1)
        #expect(queue.first == 2)
        #expect(queue.count == 2)
        #expect(queue.pop() == 2)
        queue.push(4)
        queue.push(5)
        #expect(queue.pop() == 4)
        #expect(queue.pop() == 5)
        #expect(queue.isEmpty)
        #expect(queue.first == nil)
    }

    @Test func disconnectReportsOverflowAndQueuesNothing() {
        var queue = BoundedQueue<Int>(capacity: 1, policy: .disconnect)
        guard case .queued = queue.push(1), case .overflow = queue.push(2) else {
            Issue.record("disconnect policy did not overflow")
            return
        }
        #expect(queue.count == 1)
        #expect(queue.pop() == 1)
    }

    @Test func wrapsAroundManyTimesInOrder() {
        var queue = BoundedQueue<Int>(capacity: 3, policy: .dropNewest)
        for round in 0..<50 {
            queue.push(2 * round)
            queue.push(2 * round + 1)
            #expect(queue.pop() == 2 * round)
            #expect(queue.pop() == 2 * round + 1)
        }
        #expect(queue.isEmpty)
        #expect(queue.dropped == 0)
    }
}
