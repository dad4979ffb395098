import Synchronization

/// Coalesces "a message was queued for this client" between nats.c's delivery thread and
/// the outbox loop, so a flood of outbox messages is at most one pending command per
/// client (and per subscription kind) instead of one per message.
///
/// A hint only wakes or starts the client's pump, which then reads everything queued, so
/// hints that arrive while one is pending carry nothing new. The loop takes a hint back
/// (`taken`) before acting on it; one arriving after that is a new command.
final class OutboxHints: Sendable {
    private struct Key: Hashable {
        let client: String
        let serve: Bool
    }

    private let pending = Mutex<Set<Key>>([])

    /// True when no hint for `client` (of this kind) is pending: the caller sends one.
    func add(_ client: String, serve: Bool) -> Bool {
        pending.withLock { $0.insert(Key(client: client, serve: serve)).inserted }
    }

    /// The loop is about to act on the hint for `client`.
    func taken(_ client: String, serve: Bool) {
        _ = pending.withLock { $0.remove(Key(client: client, serve: serve)) }
    }

    /// Hints pending now.
    var count: Int { pending.withLock { $0.count } }
}
