import CNATS
import FabricCore

extension JetStream {
    /// Creates the durable consumer, or updates it to `config` when it exists.
    @discardableResult
    public func ensureConsumer(stream: String, _ config: ConsumerConfig) async throws(NATSError) -> ConsumerInfo {
        let context = UnsafeSendable(raw)
        return try await Blocking.run { () throws(NATSError) -> ConsumerInfo in
            try config.withC { cConfig throws(NATSError) -> ConsumerInfo in
                var info: UnsafeMutablePointer<jsConsumerInfo>?
                var errorCode = jsErrCode(rawValue: 0)
                var status = js_AddConsumer(&info, context.value, stream, cConfig, nil, &errorCode)
                if status != NATS_OK, errorCode != JSStreamNotFoundErr {
                    // An existing durable with another configuration: update it in place.
                    errorCode = jsErrCode(rawValue: 0)
                    status = js_UpdateConsumer(&info, context.value, stream, cConfig, nil, &errorCode)
                }
                guard status == NATS_OK, let info else {
                    throw NATSError(
                        status: status, jsErrorCode: errorCode, context: "ensure consumer \(config.durable) on \(stream)")
                }
                defer { jsConsumerInfo_Destroy(info) }
                return ConsumerInfo(info)
            }
        }
    }

    /// A consumer's state (pending, ack pending, redelivered).
    public func consumerInfo(stream: String, consumer: String) async throws(NATSError) -> ConsumerInfo {
        let context = UnsafeSendable(raw)
        return try await Blocking.run { () throws(NATSError) -> ConsumerInfo in
            var info: UnsafeMutablePointer<jsConsumerInfo>?
            var errorCode = jsErrCode(rawValue: 0)
            let status = js_GetConsumerInfo(&info, context.value, stream, consumer, nil, &errorCode)
            guard status == NATS_OK, let info else {
                throw NATSError(status: status, jsErrorCode: errorCode, context: "consumer info \(consumer) on \(stream)")
            }
            defer { jsConsumerInfo_Destroy(info) }
            return ConsumerInfo(info)
        }
    }

    /// Deletes a consumer.
    public func deleteConsumer(stream: String, consumer: String) async throws(NATSError) {
        let context = UnsafeSendable(raw)
        try await Blocking.run { () throws(NATSError) in
            var errorCode = jsErrCode(rawValue: 0)
            let status = js_DeleteConsumer(context.value, stream, consumer, nil, &errorCode)
            if status != NATS_OK {
                throw NATSError(status: status, jsErrorCode: errorCode, context: "delete consumer \(consumer)")
            }
        }
    }

    /// Binds to an existing durable pull consumer.
    public func pullConsumer(stream: String, consumer: String) async throws(NATSError) -> PullConsumer {
        let context = UnsafeSendable(raw)
        let subscription = try await Blocking.run { () throws(NATSError) -> UnsafeSendable<OpaquePointer> in
            let arena = CStringArena()
            var subOptions = jsSubOptions()
            jsSubOptions_Init(&subOptions)
            subOptions.Stream = arena.string(stream)
            subOptions.Consumer = arena.string(consumer)
            var subscription: OpaquePointer?
            var errorCode = jsErrCode(rawValue: 0)
            let status = withExtendedLifetime(arena) {
                js_PullSubscribe(&subscription, context.value, nil, consumer, nil, &subOptions, &errorCode)
            }
            guard status == NATS_OK, let subscription else {
                throw NATSError(status: status, jsErrorCode: errorCode, context: "bind pull consumer \(consumer) on \(stream)")
            }
            return UnsafeSendable(subscription)
        }
        return PullConsumer(raw: subscription.value, jetStream: self, stream: stream, name: consumer)
    }
}

/// A bound durable pull consumer: fetch batches, then ack each message.
///
/// `@unchecked Sendable`: the subscription pointer is used through nats.c calls that lock
/// it, and destroyed once, in `deinit` (which leaves the durable consumer in place).
public final class PullConsumer: @unchecked Sendable {
    let raw: OpaquePointer
    /// Keeps the context (and its connection) alive while the consumer is.
    public let jetStream: JetStream
    /// Stream name.
    public let stream: String
    /// Consumer name.
    public let name: String

    init(raw: OpaquePointer, jetStream: JetStream, stream: String, name: String) {
        self.raw = raw
        self.jetStream = jetStream
        self.stream = stream
        self.name = name
    }

    deinit { natsSubscription_Destroy(raw) }

    /// Up to `batch` messages, waiting at most `timeout` for the first; empty when none came.
    public func fetch(batch: Int, timeout: Duration) async throws(NATSError) -> [JetStreamMessage] {
        let subscription = UnsafeSendable(raw)
        let messages = try await Blocking.run { () throws(NATSError) -> [UnsafeSendable<OpaquePointer>] in
            var list = natsMsgList()
            var errorCode = jsErrCode(rawValue: 0)
            let status = natsSubscription_Fetch(&list, subscription.value, Int32(batch), timeout.milliseconds, &errorCode)
            if status == NATS_TIMEOUT { return [] }
            guard status == NATS_OK else {
                throw NATSError(status: status, jsErrorCode: errorCode, context: "fetch")
            }
            var owned: [UnsafeSendable<OpaquePointer>] = []
            owned.reserveCapacity(Int(list.Count))
            for index in 0..<Int(list.Count) {
                if let message = list.Msgs[index] {
                    owned.append(UnsafeSendable(message))
                    list.Msgs[index] = nil  // ownership moves to JetStreamMessage
                }
            }
            natsMsgList_Destroy(&list)
            return owned
        }
        return messages.map { JetStreamMessage(owning: $0.value, consumer: self) }
    }

    /// Stops the binding (the durable consumer stays on the server).
    public func stop() { natsSubscription_Unsubscribe(raw) }
}
