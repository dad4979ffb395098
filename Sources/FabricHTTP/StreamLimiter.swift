import Synchronization

/// Requests in flight per HTTP/2 connection, for `http.limits.max_concurrent_streams`.
///
/// Hummingbird 2.28.1 advertises nio-http2's 100 streams and offers no setting, so a lower
/// limit is enforced here: a stream past it is answered 503 at once.
final class StreamLimiter: Sendable {
    private let limit: Int
    private let counts = Mutex<[ObjectIdentifier: Int]>([:])

    init(limit: Int) { self.limit = limit }

    /// Takes a slot on `connection`; false when it is full.
    func acquire(_ connection: ObjectIdentifier) -> Bool {
        counts.withLock { counts in
            let current = counts[connection, default: 0]
            guard current < limit else { return false }
            counts[connection] = current + 1
            return true
        }
    }

    /// Gives back a slot on `connection`.
    func release(_ connection: ObjectIdentifier) {
        counts.withLock { counts in
            let remaining = counts[connection, default: 1] - 1
            counts[connection] = remaining > 0 ? remaining : nil
        }
    }
}
