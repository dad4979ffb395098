import CNATS
import FabricCore
import Synchronization

/// A message fetched from a pull consumer, to be acknowledged one way or another.
///
/// `@unchecked Sendable`: the `natsMsg` is read-only after the copy made at init, the
/// final acknowledgement is guarded by an atomic so exactly one is sent, and the
/// message is destroyed once, in `deinit`.
public final class JetStreamMessage: @unchecked Sendable {
    private let raw: OpaquePointer
    // nats.c acks through the message's subscription: acking after it was destroyed is
    // a use-after-free (seen under valgrind), so the message keeps its consumer alive.
    private let consumer: PullConsumer
    private let settled = Atomic<Bool>(false)
    /// Subject it was stored under.
    public let subject: String
    /// Headers.
    public let headers: Headers
    /// Body.
    public let payload: [UInt8]
    /// Stream sequence.
    public let streamSequence: UInt64
    /// Times the server delivered it (1 on the first delivery).
    public let deliveryCount: UInt64
    /// Store time, nanoseconds since the epoch.
    public let timestamp: Int64
    /// Messages still pending on the consumer after this one.
    public let pending: UInt64

    init(owning raw: OpaquePointer, consumer: PullConsumer) {
        self.raw = raw
        self.consumer = consumer
        let copy = NATSMessage(copying: raw)
        subject = copy.subject
        headers = copy.headers
        payload = copy.payload
        var metadata: UnsafeMutablePointer<jsMsgMetaData>?
        if natsMsg_GetMetaData(&metadata, raw) == NATS_OK, let metadata {
            streamSequence = metadata.pointee.Sequence.Stream
            deliveryCount = metadata.pointee.NumDelivered
            timestamp = metadata.pointee.Timestamp
            pending = metadata.pointee.NumPending
            jsMsgMetaData_Destroy(metadata)
        } else {
            streamSequence = 0
            deliveryCount = 1
            timestamp = 0
            pending = 0
        }
    }

    deinit { NATSMessageMemory.destroy(raw) }

    /// Done: the stream may forget it (work queue) or the consumer moves on.
    public func ack() throws(NATSError) {
        try settle("ack") { natsMsg_Ack(raw, nil) }
    }

    /// Done, and wait until the server confirmed the ack (for exactly-once-ish hand-offs).
    public func ackSync() async throws(NATSError) {
        guard !settled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let message = UnsafeSendable(raw)
        let status = await Blocking.run { natsMsg_AckSync(message.value, nil, nil) }
        try check(status, "ack (sync) message \(streamSequence)")
    }

    /// Failed: redeliver, after `delay` when given.
    public func nak(delay: Duration? = nil) throws(NATSError) {
        try settle("nak") {
            if let delay { return natsMsg_NakWithDelay(raw, delay.milliseconds, nil) }
            return natsMsg_Nak(raw, nil)
        }
    }

    /// Give up: never redeliver.
    public func term() throws(NATSError) {
        try settle("term") { natsMsg_Term(raw, nil) }
    }

    /// Still working: reset the server's ack timer. May be sent many times.
    public func inProgress() throws(NATSError) {
        guard !settled.load(ordering: .acquiring) else { return }
        try check(natsMsg_InProgress(raw, nil), "in-progress message \(streamSequence)")
    }

    private func settle(_ what: String, _ body: () -> natsStatus) throws(NATSError) {
        guard !settled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try check(body(), "\(what) message \(streamSequence)")
    }
}
