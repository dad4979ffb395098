/// Which priority classes an adapter still admits at a given number of requests in flight.
///
/// Below `highWatermark` everything is admitted. From there up to `limit` the band is cut
/// into four equal steps and the classes are refused from the lowest up: `batch` from the
/// watermark, then `low`, `normal` and `high`; `critical` is refused only at the hard
/// `limit`. A pure value, so the rule is tested without I/O and every adapter shares it.
///
/// ```swift
/// let policy = SheddingPolicy(limit: 8, highWatermark: 4)
/// policy.threshold(for: .batch)   // 4
/// policy.threshold(for: .high)    // 7
/// policy.admits(.low, inFlight: 4) // true (low starts being refused at 5)
/// ```
public struct SheddingPolicy: Sendable, Hashable {
    /// Requests in flight at which everything, `critical` included, is refused.
    public var limit: Int
    /// Requests in flight below which nothing is refused.
    public var highWatermark: Int

    /// Creates a policy; the watermark is clamped into `0...limit`.
    public init(limit: Int, highWatermark: Int) {
        self.limit = max(0, limit)
        self.highWatermark = min(max(0, highWatermark), self.limit)
    }

    /// Creates a policy whose watermark is `fraction` of `limit` (rounded down).
    public init(limit: Int, watermarkFraction fraction: Double) {
        self.init(limit: limit, highWatermark: Int((Double(limit) * fraction).rounded(.down)))
    }

    /// The number of requests in flight from which `priority` is refused.
    public func threshold(for priority: Priority) -> Int {
        guard priority != .critical else { return limit }
        // batch (rank 4) sheds at the watermark, high (rank 1) at three quarters of the band.
        let step = 4 - priority.rank
        return highWatermark + (limit - highWatermark) * step / 4
    }

    /// True when a request of `priority` may start while `inFlight` others run.
    public func admits(_ priority: Priority, inFlight: Int) -> Bool {
        inFlight < threshold(for: priority)
    }

    /// The classes refused at `inFlight`, lowest first (empty below the watermark).
    public func shedClasses(inFlight: Int) -> [Priority] {
        Priority.allCases.reversed().filter { !admits($0, inFlight: inFlight) }
    }
}
