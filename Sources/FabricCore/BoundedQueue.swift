/// A first-in, first-out queue with a fixed capacity and a policy for when it is full.
///
/// The buffer of every outbound path to a client (Server-Sent Events, WebSocket, …): a
/// pure value, so what each policy keeps and drops is tested without I/O. A ring buffer,
/// so neither end costs more than O(1); storage grows on demand up to `capacity`, so an
/// idle client's queue costs almost nothing (10,000 idle WebSocket clients must not each
/// hold a full buffer). Only the `priority` policy scans the queue, and only when it is full.
///
/// ```swift
/// var queue = BoundedQueue<Int>(capacity: 2, policy: .priority) { $0 > 9 ? .high : .batch }
/// queue.push(1); queue.push(20)
/// queue.push(30)   // .droppedQueued(1): batch goes before high
/// ```
public struct BoundedQueue<Element> {
    /// What `push` did.
    public enum PushResult {
        /// Queued.
        case queued
        /// The queue was full and the new element was dropped (`drop-newest`, or `priority`
        /// when nothing queued is less important).
        case droppedNewest
        /// The queue was full; the oldest element was dropped to make room (`drop-oldest`).
        case droppedOldest(Element)
        /// The queue was full; a queued element of a lower class was dropped to make room (`priority`).
        case droppedQueued(Element)
        /// The queue was full and the consumer must be disconnected (`disconnect`); nothing was queued.
        case overflow
    }

    /// Most elements held.
    public let capacity: Int
    /// What a full queue does.
    public let policy: DropPolicy
    private let classOf: (@Sendable (Element) -> Priority)?
    private var storage: [Element?] = []
    private var head = 0
    /// Elements held.
    public private(set) var count = 0
    /// Elements dropped so far.
    public private(set) var dropped = 0

    /// Creates an empty queue; `capacity` is at least 1. `priority` tells the class of an
    /// element for the `priority` policy (without it every element is `normal`).
    public init(capacity: Int, policy: DropPolicy, priority: (@Sendable (Element) -> Priority)? = nil) {
        self.capacity = max(1, capacity)
        self.policy = policy
        self.classOf = priority
    }

    /// True when nothing is queued.
    public var isEmpty: Bool { count == 0 }

    /// The front element, left in place.
    public var first: Element? { count > 0 ? storage[head] : nil }

    /// Adds `element` at the back, applying the policy when full.
    @discardableResult
    public mutating func push(_ element: Element) -> PushResult {
        if count < capacity {
            append(element)
            return .queued
        }
        dropped += 1
        switch policy {
        case .dropNewest:
            return .droppedNewest
        case .dropOldest:
            let evicted = storage[head]!
            storage[head] = element
            head = (head + 1) % storage.count
            return .droppedOldest(evicted)
        case .priority:
            guard let victim = leastImportant(comparedWith: element) else { return .droppedNewest }
            let evicted = remove(at: victim)
            append(element)
            return .droppedQueued(evicted)
        case .disconnect:
            return .overflow
        }
    }

    /// Removes and returns the front element.
    public mutating func pop() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        storage[head] = nil
        head = (head + 1) % storage.count
        count -= 1
        if count == 0 { head = 0 }
        return element
    }

    /// Slots allocated now (grows up to `capacity` as elements queue up).
    public var allocated: Int { storage.count }

    private mutating func append(_ element: Element) {
        if count == storage.count { grow() }
        storage[(head + count) % storage.count] = element
        count += 1
    }

    private mutating func grow() {
        let size = min(capacity, max(4, storage.count * 2))
        var grown: [Element?] = []
        grown.reserveCapacity(size)
        for offset in 0..<count { grown.append(storage[(head + offset) % storage.count]) }
        grown.append(contentsOf: repeatElement(nil, count: size - count))
        storage = grown
        head = 0
    }

    /// The offset of the newest queued element of the least important class, when that class
    /// is less important than `element`'s; nil when `element` itself should go.
    private func leastImportant(comparedWith element: Element) -> Int? {
        guard let classOf else { return nil }
        var worst = classOf(element).rank
        var found: Int?
        for offset in 0..<count {
            let rank = classOf(storage[(head + offset) % storage.count]!).rank
            // Strictly less important than the arrival; among equals, the newest.
            if rank > worst || (rank == worst && found != nil) {
                worst = rank
                found = offset
            }
        }
        return found
    }

    private mutating func remove(at offset: Int) -> Element {
        let size = storage.count
        let element = storage[(head + offset) % size]!
        for index in offset..<(count - 1) { storage[(head + index) % size] = storage[(head + index + 1) % size] }
        storage[(head + count - 1) % size] = nil
        count -= 1
        return element
    }
}

extension BoundedQueue: Sendable where Element: Sendable {}
