/// One routing rule: conditions, then what happens to a matching message.
public struct Route: Sendable, Hashable {
    /// What happens when every attempt failed.
    public enum OnFailure: String, Sendable, Hashable, CaseIterable {
        /// Kept in `FABRIC_DLQ` for inspection and replay.
        case deadLetter = "dead-letter"
        /// Dropped (counted and logged).
        case drop
    }

    /// Unique name (metrics label, `Fabric-Route`).
    public var name: String
    /// Position in the file, 0-based; earlier rules win.
    public var index: Int
    /// Line in the source file.
    public var line: Int?
    /// Conditions.
    public var match: RouteMatch
    /// Claims the sender must have; failing them answers `forbidden`.
    public var require: [(name: String, condition: ValueCondition)]
    /// Services it goes to (fan-out when several).
    public var to: [String]
    /// Delivery guarantee.
    public var delivery: Delivery
    /// Retry policy for at-least-once.
    public var retry: RetryPolicy
    /// After the last attempt.
    public var onFailure: OnFailure
    /// Priority class stamped on the message, when set.
    public var priority: Priority?
    /// Partitioning, when set.
    public var partition: PartitionSpec?
    /// Edge-cache policy for answers, when set.
    public var cache: CachePolicy?
    /// Keep evaluating later rules after this one matched.
    public var continues: Bool

    /// Creates a route with defaults: at-most-once, default retry, dead-letter.
    public init(name: String, index: Int = 0, match: RouteMatch = RouteMatch(), to: [String]) {
        self.name = name
        self.index = index
        self.match = match
        self.require = []
        self.to = to
        self.delivery = .atMostOnce
        self.retry = .default
        self.onFailure = .deadLetter
        self.continues = false
    }

    /// The first requirement the sender fails, or nil.
    public func missingRequirement(_ input: inout RoutingInput) -> String? {
        for (name, condition) in require where !condition.matches(input.claim(name)) {
            return "requires claim \(name) \(condition)"
        }
        return nil
    }

    public static func == (lhs: Route, rhs: Route) -> Bool {
        lhs.name == rhs.name && lhs.index == rhs.index && lhs.match == rhs.match && lhs.to == rhs.to
            && lhs.require.elementsEqual(rhs.require) { $0 == $1 } && lhs.delivery == rhs.delivery && lhs.retry == rhs.retry
            && lhs.onFailure == rhs.onFailure && lhs.priority == rhs.priority && lhs.partition == rhs.partition
            && lhs.cache == rhs.cache && lhs.continues == rhs.continues
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(index)
        hasher.combine(to)
    }
}
