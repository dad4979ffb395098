/// A least-recently-used map bounded by entry count and by total cost (bytes).
///
/// A value type over arrays (nodes linked by index), so lookups and evictions are O(1)
/// without a heap allocation per entry, and the eviction order is tested without I/O.
public struct LRUCache<Value> {
    private struct Node {
        var key: String
        var value: Value
        var cost: Int
        var previous: Int
        var next: Int
    }

    /// Most entries kept.
    public let maxEntries: Int
    /// Most total cost kept.
    public let maxCost: Int
    private var nodes: [Node] = []
    private var free: [Int] = []
    private var index: [String: Int] = [:]
    // Sentinels: -1 means none. `head` is the most recently used.
    private var head = -1
    private var tail = -1
    /// Sum of the costs of the entries held.
    public private(set) var totalCost = 0

    /// Creates an empty cache.
    public init(maxEntries: Int, maxCost: Int) {
        self.maxEntries = maxEntries
        self.maxCost = maxCost
    }

    /// Entries held.
    public var count: Int { index.count }

    /// The value of `key`, marking it most recently used.
    public mutating func get(_ key: String) -> Value? {
        guard let slot = index[key] else { return nil }
        moveToFront(slot)
        return nodes[slot].value
    }

    /// Stores `value`; entries are evicted from the least recently used end until the
    /// limits hold. A value costlier than `maxCost` is not stored.
    public mutating func set(_ key: String, _ value: Value, cost: Int) {
        remove(key)
        guard maxEntries > 0, cost <= maxCost else { return }
        while index.count >= maxEntries || totalCost + cost > maxCost, tail != -1 { remove(nodes[tail].key) }
        let node = Node(key: key, value: value, cost: cost, previous: -1, next: head)
        let slot: Int
        if let reused = free.popLast() {
            nodes[reused] = node
            slot = reused
        } else {
            nodes.append(node)
            slot = nodes.count - 1
        }
        if head != -1 { nodes[head].previous = slot }
        head = slot
        if tail == -1 { tail = slot }
        index[key] = slot
        totalCost += cost
    }

    /// Removes `key` when present.
    public mutating func remove(_ key: String) {
        guard let slot = index.removeValue(forKey: key) else { return }
        unlink(slot)
        totalCost -= nodes[slot].cost
        free.append(slot)
    }

    /// Keys from the most to the least recently used.
    public var keys: [String] {
        var result: [String] = []
        var slot = head
        while slot != -1 {
            result.append(nodes[slot].key)
            slot = nodes[slot].next
        }
        return result
    }

    private mutating func moveToFront(_ slot: Int) {
        guard slot != head else { return }
        unlink(slot)
        nodes[slot].previous = -1
        nodes[slot].next = head
        if head != -1 { nodes[head].previous = slot }
        head = slot
        if tail == -1 { tail = slot }
    }

    private mutating func unlink(_ slot: Int) {
        let previous = nodes[slot].previous
        let next = nodes[slot].next
        if previous != -1 { nodes[previous].next = next } else { head = next }
        if next != -1 { nodes[next].previous = previous } else { tail = previous }
    }
}
