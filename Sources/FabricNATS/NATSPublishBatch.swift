import CNATS
import Synchronization

/// Publishes made during one turn of an event loop, written to the socket together when the
/// turn ends: one write, and one wake-up of the server, for every request the turn started.
///
/// Each held message was built when it was published; only the write waits, and only until
/// the loop has read what its sockets had for it. On a connection that does not choose per
/// publish (`NATSConnection.flushesPerPublish`), or without the verified nats.c, nothing is
/// held.
public final class NATSPublishBatch: Sendable {
    private struct Held: @unchecked Sendable {
        // The message is owned by the batch from `hold` until `write` sends and frees it,
        // and only touched under the lock or after being taken out of it.
        let message: OpaquePointer
        let failed: @Sendable (NATSError) -> Void
    }

    private let held = Mutex<[Held]>([])
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

    deinit {
        // A loop shut down before its turn ended: the requests fail with the connection.
        for entry in held.withLock({ $0 }) { NATSMessageMemory.destroy(entry.message) }
    }

    /// True when publishes through this batch are held until the end of the turn.
    var holds: Bool { connection.flushesPerPublish }

    /// Messages held for the end of the turn.
    var heldCount: Int { held.withLock { $0.count } }

    /// Takes ownership of `message`; `failed` hears of a publish that nats.c refused.
    func hold(_ message: OpaquePointer, failed: @escaping @Sendable (NATSError) -> Void) {
        let first = held.withLock { list in
            list.append(Held(message: message, failed: failed))
            return list.count == 1
        }
        if first { atEndOfTurn { [self] in write() } }
    }

    /// Sends what is held: all but the last left in nats.c's buffer, the last written with them.
    /// Should nats.c refuse the last (too large for the server), the others leave with
    /// nats.c's flusher, within 1 ms.
    func write() {
        let list = held.withLock { list in
            var taken: [Held] = []
            swap(&taken, &list)
            return taken
        }
        for (index, entry) in list.enumerated() {
            let status = connection.send(entry.message, flush: index == list.count - 1)
            NATSMessageMemory.destroy(entry.message)
            if status != NATS_OK { entry.failed(NATSError(status: status, context: "publish")) }
        }
    }
}
