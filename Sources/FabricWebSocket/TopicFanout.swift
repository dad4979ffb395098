import FabricCore
import FabricNATS
import Synchronization

/// One NATS subscription per subject per adapter instance, however many sessions want it:
/// topic filters (`fabric.out.topic.…`) and principals (`fabric.out.user.…`).
///
/// The message is copied and encoded once on nats.c's delivery thread and pushed into each
/// member session's buffer, which never blocks; 10,000 clients of one topic cost one
/// subscription and one encoding per message.
final class TopicFanout: Sendable {
    private struct Entry {
        var subscription: NATSSubscription?
        var members: [ObjectIdentifier: WebSocketSession] = [:]
        /// The members as an array, rebuilt on change, so a delivery takes a reference, not a copy.
        var list: [WebSocketSession] = []
    }

    private let connection: NATSConnection
    private let metrics: WebSocketMetrics
    private let entries = Mutex<[String: Entry]>([:])

    init(connection: NATSConnection, metrics: WebSocketMetrics) {
        self.connection = connection
        self.metrics = metrics
    }

    /// Adds `session` to `subject`'s members, subscribing when it is the first; true when a
    /// new NATS subscription was made (flush before telling the client it is subscribed).
    func join(_ subject: String, _ session: WebSocketSession) throws(NATSError) -> Bool {
        let result = entries.withLock { entries -> Result<Bool, NATSError> in
            var entry = entries[subject] ?? Entry()
            var created = false
            if entry.subscription == nil {
                do throws(NATSError) {
                    entry.subscription = try connection.subscribe(to: subject) { [weak self] message in
                        self?.deliver(message, subject: subject)
                    }
                    created = true
                } catch {
                    return .failure(error)
                }
            }
            entry.members[ObjectIdentifier(session)] = session
            entry.list = Array(entry.members.values)
            entries[subject] = entry
            return .success(created)
        }
        return try result.get()
    }

    /// Removes `session` from `subject`'s members, unsubscribing after the last.
    func leave(_ subject: String, _ session: WebSocketSession) {
        let gone = entries.withLock { entries -> NATSSubscription? in
            guard var entry = entries[subject] else { return nil }
            entry.members[ObjectIdentifier(session)] = nil
            guard entry.members.isEmpty else {
                entry.list = Array(entry.members.values)
                entries[subject] = entry
                return nil
            }
            entries[subject] = nil
            return entry.subscription
        }
        // Outside the lock: a delivery running now may be waiting for it.
        gone?.unsubscribe()
    }

    /// NATS subscriptions held now.
    var subscriptionCount: Int { entries.withLock { $0.count } }

    private func deliver(_ view: borrowing NATSMessageView, subject: String) {
        guard let members = entries.withLock({ $0[subject]?.list }), !members.isEmpty else { return }
        let message = view.copy()
        metrics.fannedOut.add(members.count, ordering: .relaxed)
        var framed: ServerFrame?
        var raw: ServerFrame?
        for session in members {
            if session.isRaw {
                if raw == nil { raw = session.rawFrame(message) }
                session.push(message: raw!)
            } else {
                if framed == nil {
                    framed = ServerFrame.message(
                        headers: message.headers, payload: message.payload, subject: message.subject, sequence: nil)
                }
                session.push(message: framed!)
            }
        }
    }
}
