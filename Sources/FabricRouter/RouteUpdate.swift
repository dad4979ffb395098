/// A new text of the rules from a source, with the version it will be stamped with.
public struct RouteUpdate: Sendable, Hashable {
    /// The YAML.
    public var text: String
    /// `file:<hash>` or `kv:<revision>`.
    public var version: String

    /// Creates an update.
    public init(text: String, version: String) {
        self.text = text
        self.version = version
    }
}

/// Where a router reads its rules from; each new text is one update.
public protocol RouteSource: Sendable {
    /// Updates, the current rules first.
    func updates() -> AsyncStream<RouteUpdate>
    /// Describes the source for logs (`file Examples/routes.yaml`).
    var description: String { get }
}
