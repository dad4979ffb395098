/// The per-connection inbound rate limit: `rate` messages a second, `burst` at once.
///
/// A pure value over a caller-supplied clock (nanoseconds), tested without I/O.
struct TokenBucket: Sendable {
    let rate: Double
    let burst: Double
    private var tokens: Double
    private var last: UInt64

    init(rate: Int, burst: Int, now: UInt64) {
        self.rate = Double(rate)
        self.burst = Double(max(1, burst))
        tokens = self.burst
        last = now
    }

    /// Takes one token; false when the connection is over its rate.
    mutating func take(now: UInt64) -> Bool {
        if now > last {
            tokens = min(burst, tokens + Double(now - last) / 1e9 * rate)
            last = now
        }
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
