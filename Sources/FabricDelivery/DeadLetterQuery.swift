/// Which dead letters `fabric dlq list` shows.
public struct DeadLetterQuery: Sendable, Hashable {
    /// Only this service's.
    public var service: String?
    /// Only those dead-lettered at or after this time (nanoseconds since the epoch).
    public var since: Int64?
    /// Only those with this reason.
    public var reason: String?
    /// At most this many, the newest.
    public var limit: Int

    /// Creates a query.
    public init(service: String? = nil, since: Int64? = nil, reason: String? = nil, limit: Int = 100) {
        self.service = service
        self.since = since
        self.reason = reason
        self.limit = limit
    }
}
