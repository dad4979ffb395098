/// A first-in, first-out queue with a fixed capacity and a policy for when it is full.
///
/// The buffer of every outbound path to a client (Server-Sent Events, WebSocket, …): a
/// pure value, so what each policy keeps and drops is tested without I/O. A ring buffer,
/// so neither end costs more than O(1).
public struct BoundedQueue<Element> {
    /// What `push` did.
    public enum PushResult {
        /// Queued.
        case queued
        /// The queue was full and the new element was dropped (`drop-newest`).
        case droppedNewest
        /// The queue was full; the oldest element was dropped to make room (`drop-oldest`).
        case droppedOldest(Element)
        /// The queue was full and the consumer must be disconnected (`disconnect`); nothing was queued.
        case overflow
    }

    /// Most elements held.
    public let capacity: Int
    /// What a full queue does.
    public let policy: DropPolicy
    private var storage: [Element?]
    private var head = 0
    /// Elements held.
    public private(set) var count = 0
    /// Elements dropped so far.
    public private(set) var dropped = 0

    /// Creates an empty queue; `capacity` is at least 1.
    public init(capacity: Int, policy: DropPolicy) {
        self.capacity = max(1, capacity)
        self.policy = policy
        storage = Array(repeating: nil, count: self.capacity)
    }

    /// True when nothing is queued.
    public var isEmpty: Bool { count == 0 }

    /// The front element, left in place.
    public var first: Element? { count > 0 ? storage[head] : nil }

    /// Adds `element` at the back, applying the policy when full.
    @discardableResult
    public mutating func push(_ element: Element) -> PushResult {
        if count < capacity {
            storage[(head + count) % capacity] = element
            count += 1
            return .queued
        }
        dropped += 1
        switch policy {
        case .dropNewest:
            return .droppedNewest
        case .dropOldest:
            let evicted = storage[head]!
            storage[head] = element
            head = (head + 1) % capacity
            return .droppedOldest(evicted)
        case .disconnect:
            return .overflow
        }
    }

    /// Removes and returns the front element.
    public mutating func pop() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        storage[head] = nil
        head = (head + 1) % capacity
        count -= 1
        return element
    }
}

extension BoundedQueue: Sendable where Element: Sendable {}
