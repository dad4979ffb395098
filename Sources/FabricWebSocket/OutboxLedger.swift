/// One session's side of the outbox contract (`docs/delivery.md`): which outbox sequences
/// the client has confirmed, which frame is in flight, and which delivery requests wait
/// for the client's ack.
///
/// A pure value (the session keeps it under its lock), so the rules are tested without I/O:
/// a sequence at or below `lastAcked` is answered at once and not forwarded again; one in
/// flight is not forwarded again and is answered with the others when the client acks it;
/// any other is forwarded.
struct OutboxLedger: Sendable {
    /// What to do with a delivery request for sequence S.
    enum Decision: Sendable, Equatable {
        /// Already confirmed: answer `ok` now.
        case answerNow
        /// Already with the client: answer with the first request, when the client acks.
        case wait
        /// New: forward it to the client.
        case forward
    }

    /// Highest sequence the client confirmed (at connect: what it said it saw).
    private(set) var lastAcked: UInt64
    /// Sequences forwarded and not yet acked, with the reply subjects waiting on each.
    private(set) var inFlight: [UInt64: [String]] = [:]

    init(lastAcked: UInt64) { self.lastAcked = lastAcked }

    /// Records a delivery request for `sequence` answered to `reply`.
    mutating func received(_ sequence: UInt64, reply: String) -> Decision {
        if sequence <= lastAcked { return .answerNow }
        if inFlight[sequence] != nil {
            inFlight[sequence, default: []].append(reply)
            return .wait
        }
        inFlight[sequence] = [reply]
        return .forward
    }

    /// The client acknowledged `sequence` (and so everything before it, delivered in order):
    /// the reply subjects to answer `ok`.
    mutating func acknowledged(_ sequence: UInt64) -> [String] {
        var replies: [String] = []
        for (pending, waiting) in inFlight where pending <= sequence {
            replies += waiting
            inFlight[pending] = nil
        }
        guard !replies.isEmpty || sequence <= lastAcked else { return [] }
        lastAcked = max(lastAcked, sequence)
        return replies
    }

    /// A frame that could not be forwarded (refused before it reached the client): forget it
    /// and return the replies to answer `rejected`.
    mutating func refused(_ sequence: UInt64) -> [String] {
        inFlight.removeValue(forKey: sequence) ?? []
    }
}
