import Foundation

/// The whole configuration: one YAML file for every role, plus `FABRIC_*` overrides.
///
/// Each role reads the sections it needs; every section is validated when the file is
/// loaded, so a typo fails at start with the key path and line, not later at run time.
/// `docs/configuration.md` lists every key.
public struct FabricConfig: Sendable, Hashable {
    /// Name of this instance in logs, presence events and metrics; defaults to host-pid.
    public var instance: String
    /// How to reach NATS.
    public var nats: NATSConfig
    /// The admin listener (metrics, health).
    public var admin: AdminConfig
    /// Logging.
    public var log: LogConfig
    /// Streams and buckets.
    public var jetstream: JetStreamConfig
    /// `fabric up`'s own settings.
    public var up: UpConfig
    /// The router.
    public var router: RouterConfig
    /// JWT verification.
    public var auth: AuthConfig
    /// The delivery service.
    public var delivery: DeliveryConfig
    /// The HTTP adapter.
    public var http: HTTPConfig
    /// The WebSocket adapter.
    public var ws: WebSocketConfig

    /// The defaults, as if the file were empty.
    public static var defaults: FabricConfig {
        // An empty document has no keys, so it cannot fail validation.
        try! FabricConfig(reader: ConfigReader.parse(yaml: ""))
    }

    /// Reads a configuration from a reader, validating every section.
    public init(reader: ConfigReader) throws(ValidationError) {
        instance = try reader.string("instance", default: FabricConfig.defaultInstanceName())
        nats = try NATSConfig(reader: reader.section("nats"))
        admin = try AdminConfig(reader: reader.section("admin"))
        log = try LogConfig(reader: reader.section("log"))
        jetstream = try JetStreamConfig(reader: reader.section("jetstream"))
        up = try UpConfig(reader: reader.section("up"))
        router = try RouterConfig(reader: reader.section("router"))
        auth = try AuthConfig(reader: reader.section("auth"))
        delivery = try DeliveryConfig(reader: reader.section("delivery"))
        http = try HTTPConfig(reader: reader.section("http"))
        ws = try WebSocketConfig(reader: reader.section("ws"))
        try reader.finish()
    }

    /// Loads `file` (or only defaults when nil) with `environment` overrides on top.
    public static func load(
        file: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ValidationError) -> FabricConfig {
        var text = ""
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError(path: file, reason: "cannot read the configuration file")
            }
            text = String(decoding: data, as: UTF8.self)
        }
        return try FabricConfig(reader: ConfigReader.parse(yaml: text, environment: environment, file: file ?? "config"))
    }

    static func defaultInstanceName() -> String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    }
}
