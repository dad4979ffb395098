import CNATS
import FabricCore

/// A JetStream stream's configuration.
public struct StreamConfig: Sendable, Hashable {
    /// When messages leave the stream.
    public enum Retention: Sendable, Hashable {
        /// At the limits (count, bytes, age).
        case limits
        /// When every consumer acknowledged.
        case interest
        /// When one consumer acknowledged (each message is worked once).
        case workQueue
    }

    /// What happens at a limit.
    public enum Discard: Sendable, Hashable {
        /// Old messages make room.
        case old
        /// New messages are refused (publishers get an error, never a silent drop).
        case new
    }

    /// Where messages are kept.
    public enum Storage: Sendable, Hashable {
        /// On disk.
        case file
        /// In memory.
        case memory
    }

    /// Stream name.
    public var name: String
    /// Free text.
    public var description: String?
    /// Subjects (wildcards allowed) it stores.
    public var subjects: [String]
    /// Retention policy.
    public var retention: Retention = .limits
    /// Most messages; -1 unlimited.
    public var maxMessages: Int64 = -1
    /// Most bytes; -1 unlimited.
    public var maxBytes: Int64 = -1
    /// Oldest message age; zero unlimited.
    public var maxAge: Duration = .zero
    /// Most messages per subject; -1 unlimited.
    public var maxMessagesPerSubject: Int64 = -1
    /// Largest message; -1 unlimited.
    public var maxMessageSize: Int32 = -1
    /// Discard policy.
    public var discard: Discard = .old
    /// Apply `discard: .new` per subject (with `maxMessagesPerSubject`).
    public var discardNewPerSubject: Bool = false
    /// Storage.
    public var storage: Storage = .file
    /// Copies kept in a cluster.
    public var replicas: Int = 1
    /// Window in which a repeated `Nats-Msg-Id` is ignored.
    public var duplicateWindow: Duration = .seconds(120)
    /// Allow direct get (any replica answers reads).
    public var allowDirect: Bool = true
    /// Forbid deleting single messages.
    public var denyDelete: Bool = false
    /// Forbid purging.
    public var denyPurge: Bool = false

    /// Creates a configuration with defaults for everything but the name and subjects.
    public init(name: String, subjects: [String]) {
        self.name = name
        self.subjects = subjects
    }

    func withC<Result, Failure: Error>(
        _ body: (UnsafeMutablePointer<jsStreamConfig>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let arena = CStringArena()
        var config = jsStreamConfig()
        jsStreamConfig_Init(&config)
        config.Name = arena.string(name)
        config.Description = arena.optional(description)
        config.Subjects = arena.array(subjects)
        config.SubjectsLen = Int32(subjects.count)
        config.Retention =
            switch retention {
            case .limits: js_LimitsPolicy
            case .interest: js_InterestPolicy
            case .workQueue: js_WorkQueuePolicy
            }
        config.MaxMsgs = maxMessages
        config.MaxBytes = maxBytes
        config.MaxAge = maxAge.nanoseconds
        config.MaxMsgsPerSubject = maxMessagesPerSubject
        config.MaxMsgSize = maxMessageSize
        config.Discard = discard == .old ? js_DiscardOld : js_DiscardNew
        config.DiscardNewPerSubject = discardNewPerSubject
        config.Storage = storage == .file ? js_FileStorage : js_MemoryStorage
        config.Replicas = Int64(replicas)
        config.Duplicates = duplicateWindow.nanoseconds
        config.AllowDirect = allowDirect
        config.DenyDelete = denyDelete
        config.DenyPurge = denyPurge
        defer { withExtendedLifetime(arena) {} }
        return try body(&config)
    }

    init(_ config: jsStreamConfig) {
        name = optionalString(config.Name) ?? ""
        description = optionalString(config.Description)
        subjects = (0..<Int(config.SubjectsLen)).compactMap { optionalString(config.Subjects[$0]) }
        retention =
            switch config.Retention {
            case js_InterestPolicy: .interest
            case js_WorkQueuePolicy: .workQueue
            default: .limits
            }
        maxMessages = config.MaxMsgs
        maxBytes = config.MaxBytes
        maxAge = .nanoseconds(config.MaxAge)
        maxMessagesPerSubject = config.MaxMsgsPerSubject
        maxMessageSize = config.MaxMsgSize
        discard = config.Discard == js_DiscardNew ? .new : .old
        discardNewPerSubject = config.DiscardNewPerSubject
        storage = config.Storage == js_MemoryStorage ? .memory : .file
        replicas = Int(config.Replicas)
        duplicateWindow = .nanoseconds(config.Duplicates)
        allowDirect = config.AllowDirect
        denyDelete = config.DenyDelete
        denyPurge = config.DenyPurge
    }
}

/// A stream's configuration and state.
public struct StreamInfo: Sendable, Hashable {
    /// The configuration in force.
    public var config: StreamConfig
    /// Messages stored.
    public var messages: UInt64
    /// Bytes stored.
    public var bytes: UInt64
    /// Sequence of the oldest message (0 when empty).
    public var firstSequence: UInt64
    /// Sequence of the newest message.
    public var lastSequence: UInt64
    /// Distinct subjects holding messages.
    public var subjectCount: Int64
    /// Consumers attached.
    public var consumerCount: Int64
    /// Messages per subject, when asked for with a filter.
    public var subjects: [String: UInt64]

    init(_ info: UnsafeMutablePointer<jsStreamInfo>) {
        config = info.pointee.Config.map { StreamConfig($0.pointee) } ?? StreamConfig(name: "", subjects: [])
        let state = info.pointee.State
        messages = state.Msgs
        bytes = state.Bytes
        firstSequence = state.FirstSeq
        lastSequence = state.LastSeq
        subjectCount = state.NumSubjects
        consumerCount = state.Consumers
        var subjects: [String: UInt64] = [:]
        if let list = state.Subjects {
            for index in 0..<Int(list.pointee.Count) {
                let entry = list.pointee.List[index]
                if let subject = optionalString(entry.Subject) { subjects[subject] = entry.Msgs }
            }
        }
        self.subjects = subjects
    }
}

extension Duration {
    /// Whole nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product &+ attoseconds / 1_000_000_000
    }
}
