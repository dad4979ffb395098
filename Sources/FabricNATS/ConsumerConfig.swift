import CNATS
import FabricCore

/// A JetStream consumer's configuration (durable pull consumers are what the fabric uses).
public struct ConsumerConfig: Sendable, Hashable {
    /// Where a new consumer starts.
    public enum DeliverPolicy: Sendable, Hashable {
        /// From the first message.
        case all
        /// From the last message.
        case last
        /// Only messages stored after it was created.
        case new
        /// From a stream sequence.
        case startSequence(UInt64)
        /// The last message of every subject.
        case lastPerSubject
    }

    /// How messages are acknowledged.
    public enum AckPolicy: Sendable, Hashable {
        /// Each message on its own.
        case explicit
        /// No acknowledgement.
        case none
        /// An ack covers every earlier message.
        case all
    }

    /// Durable name; the consumer survives restarts and is shared by every instance.
    public var durable: String
    /// Free text.
    public var description: String?
    /// Where it starts.
    public var deliverPolicy: DeliverPolicy = .all
    /// Ack policy.
    public var ackPolicy: AckPolicy = .explicit
    /// How long the server waits for an ack before redelivering.
    public var ackWait: Duration = .seconds(30)
    /// Deliveries per message before the server gives up; -1 unlimited.
    public var maxDeliver: Int64 = -1
    /// Only messages on this subject.
    public var filterSubject: String?
    /// Unacknowledged messages at once (the concurrency limit).
    public var maxAckPending: Int64 = 1000
    /// Pull requests waiting at once.
    public var maxWaiting: Int64 = 512
    /// Server-side redelivery delays (unused when the client naks with a delay).
    public var backoff: [Duration] = []
    /// Copies in a cluster; 0 follows the stream.
    public var replicas: Int64 = 0

    /// Creates a durable configuration.
    public init(durable: String, filterSubject: String? = nil) {
        self.durable = durable
        self.filterSubject = filterSubject
    }

    func withC<Result, Failure: Error>(
        _ body: (UnsafeMutablePointer<jsConsumerConfig>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let arena = CStringArena()
        var config = jsConsumerConfig()
        jsConsumerConfig_Init(&config)
        config.Durable = arena.string(durable)
        config.Name = arena.string(durable)
        config.Description = arena.optional(description)
        switch deliverPolicy {
        case .all: config.DeliverPolicy = js_DeliverAll
        case .last: config.DeliverPolicy = js_DeliverLast
        case .new: config.DeliverPolicy = js_DeliverNew
        case .startSequence(let sequence):
            config.DeliverPolicy = js_DeliverByStartSequence
            config.OptStartSeq = sequence
        case .lastPerSubject: config.DeliverPolicy = js_DeliverLastPerSubject
        }
        config.AckPolicy =
            switch ackPolicy {
            case .explicit: js_AckExplicit
            case .none: js_AckNone
            case .all: js_AckAll
            }
        config.AckWait = ackWait.nanoseconds
        config.MaxDeliver = maxDeliver
        config.FilterSubject = arena.optional(filterSubject)
        config.MaxAckPending = maxAckPending
        config.MaxWaiting = maxWaiting
        if !backoff.isEmpty {
            config.BackOff = arena.integers(backoff.map(\.nanoseconds))
            config.BackOffLen = Int32(backoff.count)
        }
        config.Replicas = replicas
        defer { withExtendedLifetime(arena) {} }
        return try body(&config)
    }
}

/// A consumer's state.
public struct ConsumerInfo: Sendable, Hashable {
    /// Stream name.
    public var stream: String
    /// Consumer name.
    public var name: String
    /// Messages not yet delivered (the consumer's lag).
    public var pending: UInt64
    /// Delivered but not yet acknowledged.
    public var ackPending: Int64
    /// Delivered more than once.
    public var redelivered: Int64
    /// Pull requests waiting.
    public var waiting: Int64
    /// Highest stream sequence delivered.
    public var deliveredStreamSequence: UInt64
    /// Stream sequence below which everything is acknowledged.
    public var ackFloorStreamSequence: UInt64
    /// Its `MaxAckPending`.
    public var maxAckPending: Int64
    /// Its `MaxDeliver`.
    public var maxDeliver: Int64

    init(_ info: UnsafeMutablePointer<jsConsumerInfo>) {
        stream = optionalString(info.pointee.Stream) ?? ""
        name = optionalString(info.pointee.Name) ?? ""
        pending = info.pointee.NumPending
        ackPending = info.pointee.NumAckPending
        redelivered = info.pointee.NumRedelivered
        waiting = info.pointee.NumWaiting
        deliveredStreamSequence = info.pointee.Delivered.Stream
        ackFloorStreamSequence = info.pointee.AckFloor.Stream
        maxAckPending = info.pointee.Config?.pointee.MaxAckPending ?? 0
        maxDeliver = info.pointee.Config?.pointee.MaxDeliver ?? 0
    }
}
