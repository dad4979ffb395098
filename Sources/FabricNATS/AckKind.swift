import FabricCore

/// The verdict on a delivered JetStream message, sent to its ack subject.
public enum AckKind: Sendable, Hashable {
    /// Done: a work-queue stream forgets it.
    case ack
    /// Failed: deliver it again, after `delay` when given.
    case nak(delay: Duration?)
    /// Still working: the server restarts its ack timer.
    case inProgress
    /// Never deliver it again.
    case term

    /// The protocol body.
    var payload: [UInt8] {
        switch self {
        case .ack: Array("+ACK".utf8)
        case .nak(let delay?): Array("-NAK {\"delay\":\(max(0, delay.milliseconds) * 1_000_000)}".utf8)
        case .nak(nil): Array("-NAK".utf8)
        case .inProgress: Array("+WPI".utf8)
        case .term: Array("+TERM".utf8)
        }
    }
}

extension NATSConnection {
    /// Sends a verdict for a message delivered with `ackSubject` as its reply subject.
    ///
    /// Fire and forget, like every JetStream ack: a lost ack means the message is
    /// delivered again after the consumer's ack wait, never lost.
    public func acknowledge(_ ackSubject: String, _ kind: AckKind) throws(NATSError) {
        try publish(ackSubject, payload: kind.payload)
    }
}
