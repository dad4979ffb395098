/// A validation failure that names where it happened and why.
///
/// `path` is a key path in a configuration or rule file (`http.limits.max_body_size`,
/// `routes[2].match.payload`) or the name of the offending field.
public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where the problem is.
    public var path: String
    /// What is wrong, in words a user can act on.
    public var reason: String
    /// 1-based line in the source file, when known.
    public var line: Int?

    /// Creates an error.
    public init(path: String, reason: String, line: Int? = nil) {
        self.path = path
        self.reason = reason
        self.line = line
    }

    public var description: String {
        let location = line.map { " (line \($0))" } ?? ""
        return path.isEmpty ? "\(reason)\(location)" : "\(path): \(reason)\(location)"
    }
}
