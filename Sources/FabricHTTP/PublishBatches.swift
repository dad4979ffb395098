import FabricNATS
import NIOCore
import NIOPosix

/// One `NATSPublishBatch` per event loop of the listeners' group, so that the requests one
/// turn of a loop reads go to NATS in one write (`docs/performance.md`).
struct PublishBatches: Sendable {
    private let batches: [ObjectIdentifier: NATSPublishBatch]

    /// Batches for the loops of `group` on `connection`; none when it writes every publish at once.
    init(connection: NATSConnection, group: MultiThreadedEventLoopGroup = .singleton) {
        guard connection.flushesPerPublish else {
            batches = [:]
            return
        }
        var batches: [ObjectIdentifier: NATSPublishBatch] = [:]
        for loop in group.makeIterator() {
            batches[ObjectIdentifier(loop)] = NATSPublishBatch(connection: connection) { write in loop.execute(write) }
        }
        self.batches = batches
    }

    /// Messages sent through the batches so far.
    var sentCount: Int { batches.values.reduce(0) { $0 + $1.sentCount } }

    /// The batch of the loop this runs on, if any.
    var current: NATSPublishBatch? {
        guard !batches.isEmpty, let loop = MultiThreadedEventLoopGroup.currentEventLoop else { return nil }
        return batches[ObjectIdentifier(loop)]
    }
}
