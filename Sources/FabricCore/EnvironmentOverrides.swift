import Foundation
import Yams

/// Environment variables that override configuration keys.
///
/// `FABRIC_<SECTION>__<KEY>[__<KEY>…]=value`, upper or lower case: `__` separates the
/// levels of the key path (single `_` stays part of a key), so
/// `FABRIC_NATS__URLS=nats://a:4222,nats://b:4222` sets `nats.urls` and
/// `FABRIC_HTTP__LIMITS__MAX_BODY_SIZE=2MiB` sets `http.limits.max_body_size`. Values are
/// read as YAML (`[a, b]`, `true`, `5s`). Variables without `__` are not overrides.
public enum EnvironmentOverrides {
    /// Prefix of override variables.
    public static let prefix = "FABRIC_"

    /// The key paths and values the environment overrides, sorted by variable name.
    public static func overrides(in environment: [String: String]) -> [(path: [String], value: String, variable: String)] {
        environment.keys.sorted().compactMap { name in
            guard name.hasPrefix(prefix), name.contains("__"), let value = environment[name] else { return nil }
            let path = name.dropFirst(prefix.count).components(separatedBy: "__").map { $0.lowercased() }
            guard !path.contains(where: \.isEmpty) else { return nil }
            return (path, value, name)
        }
    }

    static func apply(_ environment: [String: String], to root: Node) throws(ValidationError) -> Node {
        var node = root
        for (path, value, variable) in overrides(in: environment) {
            let parsed = (try? Yams.compose(yaml: value)).flatMap { $0 } ?? Node(value)
            node = try set(parsed, at: path[...], in: node, variable: variable)
        }
        return node
    }

    private static func set(
        _ value: Node, at path: ArraySlice<String>, in node: Node, variable: String
    ) throws(ValidationError) -> Node {
        guard let key = path.first else { return value }
        var pairs: [(Node, Node)] = []
        if let mapping = node.mapping {
            pairs = mapping.map { ($0.key, $0.value) }
        } else if !(node.scalar.map { $0.string.isEmpty || $0.string == "null" || $0.string == "~" } ?? false) {
            throw ValidationError(path: variable, reason: "overrides a key inside '\(key)'s parent, which is not a mapping")
        }
        if let index = pairs.firstIndex(where: { $0.0.string == key }) {
            pairs[index].1 = try set(value, at: path.dropFirst(), in: pairs[index].1, variable: variable)
        } else {
            pairs.append((Node(key), try set(value, at: path.dropFirst(), in: Node([(Node, Node)]()), variable: variable)))
        }
        return Node(pairs)
    }
}
