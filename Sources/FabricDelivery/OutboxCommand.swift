import FabricCore

/// What the outbox service's loop acts on, one at a time, so its bookkeeping needs no lock.
enum OutboxCommand: Sendable {
    /// A presence connect; `start` when it came through the queue group (this instance serves it).
    case connected(PresenceEvent, start: Bool)
    /// A presence disconnect (every instance sees it).
    case disconnected(PresenceEvent)
    /// A message was published for `client`; `start` when it came through the queue group.
    case hinted(client: String, start: Bool)
    /// A pump ended.
    case ended(client: String, generation: UInt64, end: OutboxPump.End, confirmedOnline: Bool)
    /// Clients with queued messages, measured now.
    case sweep(clients: [String])
    /// A client believed online whose oldest message waited too long: whoever served it has gone.
    case stalled(client: String)
}
