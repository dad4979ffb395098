/// `jetstream:` — sizes and retention of the fabric's streams and buckets.
public struct JetStreamConfig: Sendable, Hashable {
    /// Copies of every stream (1 on a laptop, 3 in a cluster).
    public var replicas: Int
    /// Window in which a repeated message id is ignored.
    public var duplicateWindow: Duration
    /// Most messages waiting in `FABRIC_WORK` (new work is refused past it).
    public var workMaxMessages: Int
    /// Most bytes in `FABRIC_WORK`.
    public var workMaxBytes: Int
    /// Oldest work kept.
    public var workMaxAge: Duration
    /// How long dead letters are kept.
    public var deadLetterMaxAge: Duration
    /// Most messages queued per client in `FABRIC_OUTBOX`.
    public var outboxMaxPerClient: Int
    /// How long a queued client message is kept.
    public var outboxMaxAge: Duration
    /// Upper bound of any cache entry's life (bucket max age).
    public var cacheMaxAge: Duration
    /// Use memory instead of files (tests, laptops that do not care).
    public var inMemory: Bool

    init(reader: ConfigReader) throws(ValidationError) {
        replicas = try reader.int("replicas", default: 1, in: 1...5)
        duplicateWindow = try reader.duration("duplicate_window", default: .seconds(120), minimum: .milliseconds(100))
        let work = try reader.section("work")
        workMaxMessages = try work.int("max_messages", default: 1_000_000, in: 1...Int(Int64.max))
        workMaxBytes = try work.bytes("max_bytes", default: 1 << 30, in: 1024...Int.max)
        workMaxAge = try work.duration("max_age", default: .seconds(7 * 86400), minimum: .seconds(1))
        try work.finish()
        let deadLetter = try reader.section("dead_letter")
        deadLetterMaxAge = try deadLetter.duration("max_age", default: .seconds(30 * 86400), minimum: .seconds(1))
        try deadLetter.finish()
        let outbox = try reader.section("outbox")
        outboxMaxPerClient = try outbox.int("max_per_client", default: 1000, in: 1...1_000_000)
        outboxMaxAge = try outbox.duration("max_age", default: .seconds(86400), minimum: .seconds(1))
        try outbox.finish()
        let cache = try reader.section("cache")
        cacheMaxAge = try cache.duration("max_age", default: .seconds(3600), minimum: .seconds(1))
        try cache.finish()
        inMemory = try reader.bool("in_memory", default: false)
        try reader.finish()
    }
}
