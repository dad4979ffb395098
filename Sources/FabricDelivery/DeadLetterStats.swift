import FabricCore

/// Counts of dead letters by service and reason (`fabric dlq stats`).
public struct DeadLetterStats: Sendable, Hashable, Encodable {
    /// Every dead letter.
    public var total: UInt64
    /// Per service, per reason.
    public var counts: [String: [String: UInt64]]
    /// Oldest one's time, nanoseconds since the epoch.
    public var oldest: Int64?
    /// Newest one's time.
    public var newest: Int64?

    /// Per service, summed over reasons.
    public var byService: [String: UInt64] { counts.mapValues { $0.values.reduce(0, +) } }

    /// Per reason, summed over services.
    public var byReason: [String: UInt64] {
        var sums: [String: UInt64] = [:]
        for reasons in counts.values { for (reason, count) in reasons { sums[reason, default: 0] += count } }
        return sums
    }

    enum CodingKeys: String, CodingKey {
        case total, counts, oldest, newest
        case byService = "by_service"
        case byReason = "by_reason"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(total, forKey: .total)
        try container.encode(counts, forKey: .counts)
        try container.encode(byService, forKey: .byService)
        try container.encode(byReason, forKey: .byReason)
        try container.encode(oldest.map { RFC3339.format($0, fractionDigits: 3) }, forKey: .oldest)
        try container.encode(newest.map { RFC3339.format($0, fractionDigits: 3) }, forKey: .newest)
    }
}
