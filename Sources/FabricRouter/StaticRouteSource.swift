/// Rules given once and never changed: one update, then the stream ends (the router keeps
/// them in force). For tests, benchmarks and routers embedded with fixed rules.
///
/// ```swift
/// let router = RouterService(connection: connection, jetStream: jetStream,
///                            source: StaticRouteSource(text: yaml), config: config, readiness: readiness, logger: logger)
/// ```
public struct StaticRouteSource: RouteSource {
    /// The YAML.
    public let text: String
    /// The version the rules are stamped with (`Fabric-Routes-Version`).
    public let version: String

    /// Creates a source of `text`, stamped `version`.
    public init(text: String, version: String = "static:1") {
        self.text = text
        self.version = version
    }

    public var description: String { "static \(version)" }

    public func updates() -> AsyncStream<RouteUpdate> {
        let (stream, continuation) = AsyncStream.makeStream(of: RouteUpdate.self)
        continuation.yield(RouteUpdate(text: text, version: version))
        continuation.finish()
        return stream
    }
}
