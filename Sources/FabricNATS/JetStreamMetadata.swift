/// What the server says about a delivered JetStream message, read from its ack subject
/// (`$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<ns>.<pending>`,
/// or the longer form with domain and account hash).
public struct JetStreamMetadata: Sendable, Hashable {
    /// Stream name.
    public var stream: String
    /// Consumer name.
    public var consumer: String
    /// Times the server delivered this message (1 on the first delivery).
    public var deliveryCount: UInt64
    /// Sequence in the stream.
    public var streamSequence: UInt64
    /// Sequence in the consumer.
    public var consumerSequence: UInt64
    /// Store time, nanoseconds since the epoch.
    public var timestamp: Int64
    /// Messages left for this consumer after this one.
    public var pending: UInt64

    /// Parses an ack subject; nil when it is not one.
    public init?(ackSubject: String) {
        let tokens = ackSubject.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard tokens.count >= 9, tokens[0].elementsEqual("$JS".utf8), tokens[1].elementsEqual("ACK".utf8) else { return nil }
        // 9 tokens: the original form; 11 or more: domain and account hash come first.
        let base = tokens.count == 9 ? 2 : 4
        guard tokens.count >= base + 7 else { return nil }
        func text(_ index: Int) -> String { String(decoding: tokens[index], as: UTF8.self) }
        guard let delivered = UInt64(text(base + 2)), let streamSequence = UInt64(text(base + 3)),
            let consumerSequence = UInt64(text(base + 4)), let timestamp = Int64(text(base + 5)),
            let pending = UInt64(text(base + 6))
        else { return nil }
        self.stream = text(base)
        self.consumer = text(base + 1)
        self.deliveryCount = delivered
        self.streamSequence = streamSequence
        self.consumerSequence = consumerSequence
        self.timestamp = timestamp
        self.pending = pending
    }
}
