/// `router:` — the routing plane.
public struct RouterConfig: Sendable, Hashable {
    /// Where the rules come from.
    public enum Source: String, Sendable, Hashable, CaseIterable {
        /// A YAML file, watched for changes (`fabric up`).
        case file
        /// Key `routes` in the `fabric-config` bucket (`fabric routes apply`; a cluster).
        case kv
    }

    /// Where the rules come from.
    public var source: Source
    /// The rules file when `source: file`.
    public var file: String
    /// How often the file is checked for changes.
    public var pollInterval: Duration
    /// Subscriptions in the `fabric-router` queue group per process (each gets its own
    /// delivery thread, so more than one uses more than one core).
    public var subscriptions: Int
    /// At-least-once stores in flight at once.
    public var storeConcurrency: Int
    /// Messages waiting for a store; past this the router answers `unavailable`.
    public var storeQueue: Int
    /// How long a store may take before the router answers `unavailable`.
    public var storeTimeout: Duration
    /// `fabric router` only (its own connection): a republish is written at once unless more
    /// messages wait behind it, so a flood goes out in batches and a lone message at once.
    public var batchWhenBusy: Bool

    init(reader: ConfigReader) throws(ValidationError) {
        source = try reader.choice("source", default: .kv)
        file = try reader.string("file", default: "Examples/routes.yaml")
        pollInterval = try reader.duration("poll_interval", default: .milliseconds(250), minimum: .milliseconds(10))
        subscriptions = try reader.int("subscriptions", default: 2, in: 1...64)
        storeConcurrency = try reader.int("store_concurrency", default: 512, in: 1...100_000)
        storeQueue = try reader.int("store_queue", default: 10_000, in: 1...10_000_000)
        storeTimeout = try reader.duration("store_timeout", default: .seconds(2), minimum: .milliseconds(10))
        batchWhenBusy = try reader.bool("batch_when_busy", default: true)
        try reader.finish()
    }
}
