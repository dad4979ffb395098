import FabricCore

/// The fabric's streams and buckets, declared in one place and ensured by whichever
/// role starts first (creating is idempotent; a changed setting updates the stream).
public struct FabricTopology: Sendable, Hashable {
    /// Sizes and retention, from `jetstream:`.
    public var config: JetStreamConfig

    /// Creates the topology for a configuration.
    public init(config: JetStreamConfig) { self.config = config }

    /// `FABRIC_WORK`: at-least-once work, each message worked once (work-queue retention).
    /// Full means new work is refused, so a publisher gets an error, never a silent drop.
    public var work: StreamConfig {
        var stream = base(FabricNames.Stream.work, subjects: [FabricNames.Subject.workAll])
        stream.retention = .workQueue
        stream.maxMessages = Int64(config.workMaxMessages)
        stream.maxBytes = Int64(config.workMaxBytes)
        stream.maxAge = config.workMaxAge
        stream.discard = .new
        stream.description = "fabric: at-least-once work per service"
        return clamped(stream)
    }

    /// `FABRIC_DLQ`: dead letters, kept long for inspection and replay.
    public var deadLetter: StreamConfig {
        var stream = base(FabricNames.Stream.deadLetter, subjects: [FabricNames.Subject.deadLetterAll])
        stream.maxAge = config.deadLetterMaxAge
        stream.description = "fabric: dead letters"
        return clamped(stream)
    }

    /// `FABRIC_OUTBOX`: at-least-once messages for clients, bounded per client by count and age.
    ///
    /// A full client queue refuses new messages (the publisher gets an error) rather than
    /// dropping queued ones silently. Delivery removes and counts messages older than
    /// `outbox.max_age`; the stream's own age limit, twice that, only catches what is left
    /// when no delivery instance runs.
    public var outbox: StreamConfig {
        var stream = base(FabricNames.Stream.outbox, subjects: [FabricNames.Subject.outboxAll])
        stream.maxMessagesPerSubject = Int64(config.outboxMaxPerClient)
        stream.discard = .new
        stream.discardNewPerSubject = true
        stream.maxAge = config.outboxMaxAge * 2
        stream.description = "fabric: queued messages per client"
        return clamped(stream)
    }

    /// `FABRIC_FAILURES`: when each failing work message first failed, one record per
    /// message, so the dead letter carries it whichever instance made the attempts.
    public var failures: StreamConfig {
        var stream = base(FabricNames.Stream.failures, subjects: [FabricNames.Subject.failuresAll])
        stream.maxMessagesPerSubject = 1
        stream.maxAge = config.workMaxAge
        stream.description = "fabric: first failure of work being retried"
        return clamped(stream)
    }

    /// Every stream.
    public var streams: [StreamConfig] { [work, deadLetter, outbox, failures] }

    /// `fabric-config`: routes and priorities, with a little history for rollbacks.
    public var configBucket: KeyValueConfig {
        var bucket = KeyValueConfig(bucket: FabricNames.Bucket.config)
        bucket.history = 5
        bucket.replicas = config.replicas
        bucket.inMemory = config.inMemory
        bucket.description = "fabric: routes and priorities"
        return bucket
    }

    /// `fabric-cache`: edge cache entries; each carries its own expiry, the bucket's max
    /// age bounds them all (nats-server 2.9 has no per-key TTL).
    public var cacheBucket: KeyValueConfig {
        var bucket = KeyValueConfig(bucket: FabricNames.Bucket.cache)
        bucket.ttl = config.cacheMaxAge
        bucket.replicas = config.replicas
        bucket.inMemory = config.inMemory
        bucket.maxValueSize = 1 << 20
        bucket.description = "fabric: edge cache"
        return bucket
    }

    /// Creates or updates every stream and bucket; returns what could not be changed.
    ///
    /// A stream that exists with settings an update cannot change (storage, retention)
    /// is used as it is, with a warning in the result, rather than stopping the role:
    /// those are the operator's to migrate.
    @discardableResult
    public func ensure(on jetStream: JetStream) async throws(NATSError) -> [String] {
        var warnings: [String] = []
        for stream in streams {
            do {
                try await jetStream.ensureStream(stream)
            } catch {
                guard (try? await jetStream.streamInfo(stream.name)) != nil else { throw error }
                warnings.append("stream \(stream.name) kept its existing configuration: \(error)")
            }
        }
        _ = try await jetStream.ensureKeyValue(configBucket)
        _ = try await jetStream.ensureKeyValue(cacheBucket)
        return warnings
    }

    /// JetStream refuses a duplicate window longer than the stream's max age.
    private func clamped(_ stream: StreamConfig) -> StreamConfig {
        var stream = stream
        if stream.maxAge > .zero { stream.duplicateWindow = min(stream.duplicateWindow, stream.maxAge) }
        return stream
    }

    private func base(_ name: String, subjects: [String]) -> StreamConfig {
        var stream = StreamConfig(name: name, subjects: subjects)
        stream.replicas = config.replicas
        stream.duplicateWindow = config.duplicateWindow
        stream.storage = config.inMemory ? .memory : .file
        stream.allowDirect = true
        return stream
    }
}
