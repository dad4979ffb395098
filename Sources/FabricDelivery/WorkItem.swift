import FabricCore
import FabricNATS

/// A work message received from a service's consumer, copied off nats.c's thread.
struct WorkItem: Sendable {
    /// `fabric.work.<service>`.
    let subject: String
    /// Where its ack, nak, term and in-progress go.
    let ackSubject: String
    /// Delivery count, stream sequence, store time.
    let metadata: JetStreamMetadata
    /// Stored headers.
    let headers: Headers
    /// Stored body.
    let payload: [UInt8]

    /// The attempt this delivery is: the server's delivery count, which survives any
    /// delivery instance's crash (a crash mid-attempt costs that attempt).
    var attempt: Int { Int(clamping: metadata.deliveryCount) }

    /// Store time in milliseconds since the epoch.
    var storedMillis: UInt64 { UInt64(max(0, metadata.timestamp / 1_000_000)) }
}
