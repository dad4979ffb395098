/// Priority classes used for load shedding and for the `priority` drop policy.
///
/// Ordered from the most to the least important: `critical < high` in `Comparable`
/// terms means "critical sorts first"; use `rank` for arithmetic.
public enum Priority: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    /// Never shed by priority; only hard limits refuse it.
    case critical
    /// Shed last.
    case high
    /// The default class.
    case normal
    /// Shed early.
    case low
    /// Shed first.
    case batch

    /// 0 for `critical` up to 4 for `batch`.
    public var rank: Int {
        switch self {
        case .critical: 0
        case .high: 1
        case .normal: 2
        case .low: 3
        case .batch: 4
        }
    }

    public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rank < rhs.rank }
}
