/// How many messages a work consumer may still ask the server for, and which of its
/// pull requests are open: a value type with no I/O, so the accounting is tested alone.
///
/// Room is `capacity` (the service's concurrency) minus messages being worked on minus
/// messages asked for and not yet received. The server serves one subscriber's pull
/// requests in order, so each arriving message is counted against the oldest open
/// request. A request ends when it is filled, when the server says it expired (408) or
/// was refused (409), or, should that status be lost with a server, a grace period after
/// its own expiry.
struct PullCredit: Sendable {
    struct Request: Sendable, Hashable {
        let id: UInt64
        var remaining: Int
        let deadline: ContinuousClock.Instant
    }

    /// Most messages asked for or being worked on at once.
    let capacity: Int
    /// Smallest request while others are open: avoids a stream of one-message requests under load.
    let minimumBatch: Int
    /// Messages received and not yet settled.
    private(set) var inFlight = 0
    /// Open requests, oldest first.
    private(set) var open: [Request] = []
    private var lastID: UInt64 = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        minimumBatch = max(1, capacity / 4)
    }

    /// Messages asked for and not yet received.
    var requested: Int { open.reduce(0) { $0 + $1.remaining } }

    /// A message arrived.
    mutating func received() {
        inFlight += 1
        guard !open.isEmpty else { return }
        open[0].remaining -= 1
        if open[0].remaining <= 0 { open.removeFirst() }
    }

    /// A message was acked, naked or termed.
    mutating func settled() { inFlight = max(0, inFlight - 1) }

    /// The server ended request `id` (expired or refused); what it still owed is free again.
    mutating func ended(_ id: UInt64) { open.removeAll { $0.id == id } }

    /// Forgets requests whose deadline passed without word from the server.
    mutating func expire(now: ContinuousClock.Instant) { open.removeAll { $0.deadline < now } }

    /// Forgets every open request (the subscription was replaced).
    mutating func reset() { open.removeAll() }

    /// The next request to send, if there is room for one: at least `minimumBatch`
    /// messages, or anything at all when no request is open.
    mutating func next(now: ContinuousClock.Instant, expires: Duration, grace: Duration) -> (id: UInt64, batch: Int)? {
        let free = capacity - inFlight - requested
        guard free > 0, free >= minimumBatch || open.isEmpty else { return nil }
        lastID += 1
        open.append(Request(id: lastID, remaining: free, deadline: now + expires + grace))
        return (lastID, free)
    }
}
