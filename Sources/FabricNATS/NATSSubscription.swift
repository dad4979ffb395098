import CNATS
import FabricCore
import Metrics
import Synchronization

/// A live subscription: unsubscribe or drain it, read its counters.
///
/// `@unchecked Sendable`: the `natsSubscription` pointer is used only through nats.c
/// functions that lock the subscription themselves, and it is destroyed once, in
/// `deinit`.
public final class NATSSubscription: @unchecked Sendable {
    let raw: OpaquePointer
    let sink: SubscriptionSink
    /// The subject (or pattern) subscribed to.
    public let subject: String
    /// The queue group, if any.
    public let queue: String?

    /// Whether its connection is connected now.
    let connected: @Sendable () -> Bool

    init(raw: OpaquePointer, sink: SubscriptionSink, subject: String, queue: String?, connected: @escaping @Sendable () -> Bool) {
        self.raw = raw
        self.sink = sink
        self.subject = subject
        self.queue = queue
        self.connected = connected
    }

    deinit {
        natsSubscription_Unsubscribe(raw)
        natsSubscription_Destroy(raw)
    }

    /// Stops delivery now; messages not yet handed over are discarded.
    public func unsubscribe() {
        natsSubscription_Unsubscribe(raw)
        sink.finish()
    }

    /// Stops taking new messages and finishes once those already received are handled.
    /// Without a connection it unsubscribes at once: a drain needs the server, and nothing
    /// a handler answers could leave anyway.
    public func drain(timeout: Duration = .seconds(10)) async {
        guard connected() else {
            unsubscribe()
            return
        }
        guard natsSubscription_DrainTimeout(raw, timeout.milliseconds) == NATS_OK else {
            sink.finish()
            return
        }
        let raw = UnsafeSendable(raw)
        _ = await Blocking.run { natsSubscription_WaitForDrainCompletion(raw.value, timeout.milliseconds) }
        sink.finish()
    }

    /// Messages the fabric dropped because the consumer did not keep up (bounded hand-off),
    /// plus those nats.c dropped past its own pending limit.
    public var droppedCount: Int {
        var natsDropped: Int64 = 0
        _ = natsSubscription_GetDropped(raw, &natsDropped)
        return sink.dropped.load(ordering: .relaxed) + Int(natsDropped)
    }

    /// Messages handed to the handler or the stream.
    public var deliveredCount: Int { sink.delivered.load(ordering: .relaxed) }

    /// Messages received from the server and not yet handed to the handler or the stream.
    public var pendingMessages: Int {
        var pending: Int32 = 0
        return natsSubscription_GetPending(raw, &pending, nil) == NATS_OK ? Int(pending) : 0
    }

    /// True while nats.c still delivers to this subscription.
    public var isValid: Bool { natsSubscription_IsValid(raw) }
}

/// Where nats.c's delivery thread puts a subscription's messages.
///
/// nats.c holds one retained reference as the callback closure and gives it back in
/// the on-complete callback, after the last message was delivered.
class SubscriptionSink: @unchecked Sendable {
    // Counters are atomics and subclasses keep only Sendable state: safe to share.
    let delivered = Atomic<Int>(0)
    let dropped = Atomic<Int>(0)

    func deliver(_ message: OpaquePointer, subscription: OpaquePointer?) {}
    func finish() {}
}

/// Runs a synchronous handler on nats.c's delivery thread.
final class HandlerSink: SubscriptionSink, @unchecked Sendable {
    let handler: @Sendable (borrowing NATSMessageView) -> Void
    /// The connection's write buffer when it batches: the handler may leave frames in it
    /// while more messages wait, and the last message of the burst writes them.
    let writer: NATSWriteBuffer?

    init(handler: @escaping @Sendable (borrowing NATSMessageView) -> Void, writer: NATSWriteBuffer?) {
        self.handler = handler
        self.writer = writer
    }

    override func deliver(_ message: OpaquePointer, subscription: OpaquePointer?) {
        delivered.add(1, ordering: .relaxed)
        guard let writer else {
            handler(NATSMessageView(raw: message, subscription: subscription))
            return
        }
        writer.delivering { handler(NATSMessageView(raw: message, subscription: subscription)) }
        if writer.isHolding, !NATSMessageView.moreQueued(on: subscription) { writer.flushHeld() }
    }
}

/// Hands messages to an `AsyncStream` with a bounded buffer; a full buffer drops the
/// newest message and counts it, so a stalled consumer never grows memory.
final class StreamSink: SubscriptionSink, @unchecked Sendable {
    let continuation: AsyncStream<NATSMessage>.Continuation
    let dropCounter: Counter

    init(continuation: AsyncStream<NATSMessage>.Continuation, label: String) {
        self.continuation = continuation
        self.dropCounter = Counter(label: "fabric_nats_subscription_dropped_total", dimensions: [("subscription", label)])
    }

    override func deliver(_ message: OpaquePointer, subscription: OpaquePointer?) {
        switch continuation.yield(NATSMessage(copying: message)) {
        case .enqueued:
            delivered.add(1, ordering: .relaxed)
        case .dropped:
            dropped.add(1, ordering: .relaxed)
            dropCounter.increment()
        case .terminated:
            break
        @unknown default:
            break
        }
    }

    override func finish() { continuation.finish() }
}

func natsMessageCallback(
    _ connection: OpaquePointer?, _ subscription: OpaquePointer?, _ message: OpaquePointer?, _ closure: UnsafeMutableRawPointer?
) {
    guard let message else { return }
    defer { NATSMessageMemory.destroy(message) }
    guard let closure else { return }
    Unmanaged<SubscriptionSink>.fromOpaque(closure).takeUnretainedValue().deliver(message, subscription: subscription)
}

func natsSubscriptionCompleteCallback(_ closure: UnsafeMutableRawPointer?) {
    guard let closure else { return }
    let sink = Unmanaged<SubscriptionSink>.fromOpaque(closure).takeRetainedValue()
    sink.finish()
}

/// An `AsyncSequence` of a subscription's messages; ending the iteration unsubscribes.
public struct NATSMessageStream: AsyncSequence, Sendable {
    public typealias Element = NATSMessage

    /// The subscription behind the stream.
    public let subscription: NATSSubscription
    let stream: AsyncStream<NATSMessage>

    public func makeAsyncIterator() -> AsyncStream<NATSMessage>.AsyncIterator { stream.makeAsyncIterator() }
}

extension NATSConnection {
    /// Subscribes with a synchronous handler that runs on nats.c's delivery thread.
    ///
    /// For hot paths: no copy and no thread hop. The handler must never block or wait;
    /// messages of one subscription arrive in order, one at a time.
    public func subscribe(
        to subject: String, queue: String? = nil, handler: @escaping @Sendable (borrowing NATSMessageView) -> Void
    ) throws(NATSError) -> NATSSubscription {
        try subscribe(subject: subject, queue: queue, sink: HandlerSink(handler: handler, writer: writer))
    }

    /// Subscribes as an `AsyncSequence` whose hand-off holds at most `bufferLimit` messages.
    ///
    /// Past that, new messages are dropped and counted (`droppedCount`, metric
    /// `fabric_nats_subscription_dropped_total{subscription=label}`).
    public func messages(
        on subject: String, queue: String? = nil, bufferLimit: Int = 4096, label: String = "stream"
    ) throws(NATSError) -> NATSMessageStream {
        let (stream, continuation) = AsyncStream.makeStream(of: NATSMessage.self, bufferingPolicy: .bufferingOldest(bufferLimit))
        let subscription = try subscribe(
            subject: subject, queue: queue, sink: StreamSink(continuation: continuation, label: label))
        continuation.onTermination = { [weak subscription] _ in subscription?.unsubscribeQuietly() }
        return NATSMessageStream(subscription: subscription, stream: stream)
    }

    private func subscribe(subject: String, queue: String?, sink: SubscriptionSink) throws(NATSError) -> NATSSubscription {
        let closure = Unmanaged.passRetained(sink).toOpaque()
        var created: OpaquePointer?
        let status: natsStatus
        if let queue {
            status = natsConnection_QueueSubscribe(&created, raw, subject, queue, natsMessageCallback, closure)
        } else {
            status = natsConnection_Subscribe(&created, raw, subject, natsMessageCallback, closure)
        }
        guard status == NATS_OK, let created else {
            Unmanaged<SubscriptionSink>.fromOpaque(closure).release()
            throw NATSError(status: status, context: "subscribe to \(subject)")
        }
        natsSubscription_SetPendingLimits(created, Int32(options.pendingMessagesLimit), Int32(options.pendingBytesLimit))
        let completion = natsSubscription_SetOnCompleteCB(created, natsSubscriptionCompleteCallback, closure)
        if completion != NATS_OK {
            // The subscription is already closed (connection gone): nats.c will not call
            // back, so the reference it held is ours to give back.
            natsSubscription_Destroy(created)
            Unmanaged<SubscriptionSink>.fromOpaque(closure).release()
            throw NATSError(status: completion, context: "subscribe to \(subject)")
        }
        return NATSSubscription(raw: created, sink: sink, subject: subject, queue: queue) { [weak self] in
            self?.isConnected ?? false
        }
    }
}

extension NATSSubscription {
    func unsubscribeQuietly() { natsSubscription_Unsubscribe(raw) }
}
