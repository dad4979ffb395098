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

@Suite("Bounded queues: priority policy and lazy storage")
struct BoundedQueuePriorityTests {
    /// Elements are (id, class).
    typealias Item = (id: Int, priority: Priority)

    static func queue(_ capacity: Int) -> BoundedQueue<Item> {
        BoundedQueue(capacity: capacity, policy: .priority) { $0.priority }
    }

    @Test func theLowestClassGoesFirstWhetherQueuedOrArriving() {
        var queue = Self.queue(3)
        queue.push((1, .normal))
        queue.push((2, .batch))
        queue.push((3, .high))
        // Full: a critical arrival pushes out the batch one.
        guard case .droppedQueued(let evicted) = queue.push((4, .critical)) else {
            Issue.record("a more important arrival did not evict the least important queued element")
            return
        }
        #expect(evicted.id == 2)
        // A batch arrival is itself the least important: it is the one dropped.
        guard case .droppedNewest = queue.push((5, .batch)) else {
            Issue.record("the least important arrival was not dropped")
            return
        }
        #expect(queue.dropped == 2)
        #expect([queue.pop()?.id, queue.pop()?.id, queue.pop()?.id] == [1, 3, 4])
    }

    @Test func amongEqualsTheNewestOfTheLowestClassIsDropped() {
        var queue = Self.queue(3)
        queue.push((1, .low))
        queue.push((2, .low))
        queue.push((3, .high))
        guard case .droppedQueued(let evicted) = queue.push((4, .normal)) else {
            Issue.record("no eviction")
            return
        }
        #expect(evicted.id == 2)
        // An arrival of the same class as the lowest queued one goes itself (tail drop within a class).
        guard case .droppedNewest = queue.push((5, .low)) else {
            Issue.record("an equal arrival evicted a queued element")
            return
        }
        #expect([queue.pop()?.id, queue.pop()?.id, queue.pop()?.id] == [1, 3, 4])
    }

    @Test func withoutAClassFunctionPriorityIsTailDrop() {
        var queue = BoundedQueue<Int>(capacity: 2, policy: .priority)
        for value in 1...4 { queue.push(value) }
        #expect(queue.pop() == 1)
        #expect(queue.pop() == 2)
        #expect(queue.dropped == 2)
    }

    @Test func storageGrowsOnDemandAndKeepsOrderAcrossGrowth() {
        var queue = BoundedQueue<Int>(capacity: 100, policy: .dropOldest)
        #expect(queue.allocated == 0)
        queue.push(0)
        #expect(queue.allocated == 4)
        // Wrap the ring before it grows: order must survive the copy.
        queue.push(1)
        queue.push(2)
        #expect(queue.pop() == 0)
        for value in 3...50 { queue.push(value) }
        #expect(queue.allocated <= 100)
        var popped: [Int] = []
        while let value = queue.pop() { popped.append(value) }
        #expect(popped == Array(1...50))
        for value in 0..<250 { queue.push(value) }
        #expect(queue.allocated == 100)
        #expect(queue.count == 100)
        #expect(queue.pop() == 150)
    }

    @Test func priorityEvictionKeepsTheRestInOrderAfterWrapping() {
        var queue = Self.queue(4)
        for id in 0..<4 { queue.push((id, .normal)) }
        _ = queue.pop()
        _ = queue.pop()
        queue.push((4, .batch))
        queue.push((5, .normal))
        // Full and wrapped: 2, 3, 4(batch), 5. A high arrival evicts 4.
        guard case .droppedQueued(let evicted) = queue.push((6, .high)) else {
            Issue.record("no eviction")
            return
        }
        #expect(evicted.id == 4)
        var order: [Int] = []
        while let item = queue.pop() { order.append(item.id) }
        #expect(order == [2, 3, 5, 6])
    }
}
