import FabricCore
import FabricNATS
import Synchronization

extension WebSocketSession {
    /// A message on `fabric.out.client.<id>` (nats.c's delivery thread; never waits).
    ///
    /// Without a reply subject it is at-most-once and goes through the drop policy. With
    /// one and a `Fabric-Sequence` it is an outbox frame: the ledger decides whether to
    /// answer now, wait for the frame in flight, or forward it; it is answered `ok` when
    /// the client acknowledges it (`docs/delivery.md`).
    func received(_ view: borrowing NATSMessageView) {
        guard let reply = view.replyTo, let sequence = view.header(HeaderName.sequence).flatMap({ UInt64($0) }) else {
            let message = view.copy()
            push(
                message: isRaw
                    ? rawFrame(message)
                    : .message(headers: message.headers, payload: message.payload, subject: message.subject, sequence: nil))
            return
        }
        let connection = context.connection
        switch state.withLock({ $0.ledger.received(sequence, reply: reply) }) {
        case .answerNow:
            try? connection.reply(to: reply, status: .ok)
        case .wait:
            break
        case .forward:
            let message = view.copy()
            let frame: ServerFrame =
                isRaw
                ? .raw(message.payload, sequence: sequence)
                : .message(headers: message.headers, payload: message.payload, subject: message.subject, sequence: sequence)
            let limit = context.config.limits.maxMessageSize
            guard frame.size <= limit else {
                // Rule 4: the client cannot take it; delivery removes it and goes on.
                for waiting in state.withLock({ $0.ledger.refused(sequence) }) {
                    try? connection.reply(
                        to: waiting, status: .rejected, error: "larger than the client's \(limit)-byte message limit")
                }
                return
            }
            if let id = message.headers[HeaderName.id] { state.withLock { $0.sequenceByID[id] = sequence } }
            // A closing session takes nothing: the request stays unanswered (rule 5).
            buffer.push(reply: frame)
        }
    }

    /// The client acknowledged a delivered message (by outbox sequence or message id).
    func acknowledge(sequence: UInt64?, id: String?) {
        let replies = state.withLock { state -> [String] in
            guard let acked = sequence ?? id.flatMap({ state.sequenceByID[$0] }) else { return [] }
            state.sequenceByID = state.sequenceByID.filter { $0.value > acked }
            return state.ledger.acknowledged(acked)
        }
        for reply in replies { try? context.connection.reply(to: reply, status: .ok) }
    }
}
