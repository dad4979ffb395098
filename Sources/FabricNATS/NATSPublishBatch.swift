import Synchronization

/// Publishes made during one turn of an event loop, written to the socket together when the
/// turn ends: one write, and one wake-up of the server, for every request the turn started.
///
/// Each held frame was built when it was published; only the write waits, and only until
/// the loop has read what its sockets had for it. On a connection that does not choose per
/// publish (`NATSConnection.flushesPerPublish`), or without the verified nats.c, nothing is
/// held.
public final class NATSPublishBatch: Sendable {
    private struct Held: Sendable {
        let frame: NATSWireFrame
        let failed: @Sendable (NATSError) -> Void
    }

    private let held = Mutex<[Held]>([])
    private let sent = Atomic<Int>(0)
    let connection: NATSConnection
    private let atEndOfTurn: @Sendable (@escaping @Sendable () -> Void) -> Void

    /// A batch for `connection`; `atEndOfTurn` runs its closure once the loop's current
    /// turn has done its I/O (`EventLoop.execute`).
    public init(
        connection: NATSConnection, atEndOfTurn: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void
    ) {
        self.connection = connection
        self.atEndOfTurn = atEndOfTurn
    }

    /// True when publishes through this batch are held until the end of the turn.
    var holds: Bool { connection.flushesPerPublish }

    /// Messages held for the end of the turn.
    var heldCount: Int { held.withLock { $0.count } }

    /// Messages this batch has sent (or tried to), for tests and diagnostics.
    public var sentCount: Int { sent.load(ordering: .relaxed) }

    /// Holds `frame` for the end of the turn; `failed` hears of a publish that could not be sent.
    func hold(_ frame: NATSWireFrame, failed: @escaping @Sendable (NATSError) -> Void) {
        let first = held.withLock { list in
            list.append(Held(frame: frame, failed: failed))
            return list.count == 1
        }
        if first { atEndOfTurn { [self] in write() } }
    }

    /// Sends what is held, in one write to nats.c's buffer and one to the socket.
    func write() {
        let list = held.withLock { list in
            var taken: [Held] = []
            swap(&taken, &list)
            return taken
        }
        sent.add(list.count, ordering: .relaxed)
        connection.send(list.map(\.frame)) { index, error in list[index].failed(error) }
    }
}
