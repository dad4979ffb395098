import Yams

/// Reads one YAML mapping of a configuration or rule file with typed getters whose
/// errors name the key path and the line, and refuses keys nobody asked for.
///
/// Every section's `init(reader)` asks for its keys, then calls `finish()`: a key that
/// was never read is a typo or a setting this version does not have, and is an error
/// rather than something silently ignored.
public final class ConfigReader {
    /// Dotted path of this mapping (`nats.tls`), empty at the top.
    public let path: String
    private let pairs: [(key: String, value: Node)]
    private let line: Int?
    private var read: Set<String> = []

    /// Parses YAML text and applies `FABRIC_*` environment overrides on top.
    public static func parse(
        yaml: String, environment: [String: String] = [:], file: String = "config"
    ) throws(ValidationError) -> ConfigReader {
        let root: Node
        do {
            root = try Yams.compose(yaml: yaml) ?? Node([(Node, Node)]())
        } catch let error as YamlError {
            throw ValidationError(path: file, reason: "not valid YAML: \(error)")
        } catch {
            throw ValidationError(path: file, reason: "not valid YAML: \(error)")
        }
        let overridden = try EnvironmentOverrides.apply(environment, to: root)
        return try ConfigReader(node: overridden, path: "")
    }

    /// Wraps a mapping node found at `path`.
    public init(node: Node, path: String) throws(ValidationError) {
        self.path = path
        self.line = node.mark.map { $0.line }
        if case .scalar(let scalar) = node, scalar.string.isEmpty || scalar.tag.description.hasSuffix("null") {
            pairs = []
            return
        }
        guard let mapping = node.mapping else {
            throw ValidationError(path: path, reason: "must be a mapping of keys to values", line: node.mark?.line)
        }
        var pairs: [(key: String, value: Node)] = []
        for (key, value) in mapping {
            guard let name = key.string else {
                throw ValidationError(path: path, reason: "keys must be strings", line: key.mark?.line)
            }
            pairs.append((name, value))
        }
        self.pairs = pairs
    }

    /// True when `key` is present.
    public func has(_ key: String) -> Bool { pairs.contains { $0.key == key } }

    /// Keys present, in file order.
    public var keys: [String] { pairs.map(\.key) }

    /// The raw node of `key`, marking it read.
    public func node(_ key: String) -> Node? {
        read.insert(key)
        return pairs.first { $0.key == key }?.value
    }

    /// Full path of `key`.
    public func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// An error about `key`, located at its line.
    public func error(_ key: String, _ reason: String) -> ValidationError {
        ValidationError(path: keyPath(key), reason: reason, line: pairs.first { $0.key == key }?.value.mark?.line ?? line)
    }

    /// The line of `key`, or of this mapping when the key is absent.
    public func lineOf(_ key: String) -> Int? {
        pairs.first { $0.key == key }?.value.mark?.line ?? line
    }

    /// Fails on any key no getter asked for.
    public func finish() throws(ValidationError) {
        for pair in pairs where !read.contains(pair.key) {
            throw ValidationError(path: keyPath(pair.key), reason: "unknown key", line: pair.value.mark?.line)
        }
    }

    /// A nested mapping (empty when absent).
    public func section(_ key: String) throws(ValidationError) -> ConfigReader {
        guard let node = node(key) else { return try ConfigReader(node: Node([(Node, Node)]()), path: keyPath(key)) }
        return try ConfigReader(node: node, path: keyPath(key))
    }

    /// A string, or `fallback` when absent.
    public func string(_ key: String, default fallback: String) throws(ValidationError) -> String {
        try optionalString(key) ?? fallback
    }

    /// A string or nil.
    public func optionalString(_ key: String) throws(ValidationError) -> String? {
        guard let node = node(key) else { return nil }
        guard let scalar = node.scalar else { throw error(key, "must be a single value") }
        if scalar.style == .plain && (scalar.string == "~" || scalar.string == "null") { return nil }
        return scalar.string
    }

    /// A boolean.
    public func bool(_ key: String, default fallback: Bool) throws(ValidationError) -> Bool {
        guard let text = try optionalString(key) else { return fallback }
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw error(key, "'\(text)' is not true or false")
        }
    }

    /// An integer within `range`.
    public func int(
        _ key: String, default fallback: Int, in range: ClosedRange<Int> = Int.min...Int.max
    ) throws(ValidationError) -> Int {
        guard let text = try optionalString(key) else { return fallback }
        guard let value = Int(text.replacingUnderscores()) else { throw error(key, "'\(text)' is not an integer") }
        guard range.contains(value) else { throw error(key, "\(value) is outside \(range.lowerBound)...\(range.upperBound)") }
        return value
    }

    /// A number within `range`.
    public func double(_ key: String, default fallback: Double, in range: ClosedRange<Double>) throws(ValidationError) -> Double {
        guard let text = try optionalString(key) else { return fallback }
        guard let value = Double(text) else { throw error(key, "'\(text)' is not a number") }
        guard range.contains(value) else { throw error(key, "\(value) is outside \(range.lowerBound)...\(range.upperBound)") }
        return value
    }

    /// A duration such as `250ms`, `5s`, `2m`, `1h`.
    public func duration(_ key: String, default fallback: Duration, minimum: Duration = .zero) throws(ValidationError) -> Duration
    {
        guard let text = try optionalString(key) else { return fallback }
        let value: Duration
        do { value = try Duration.parse(text) } catch { throw self.error(key, error.reason) }
        guard value >= minimum else { throw self.error(key, "must be at least \(minimum.fabricDescription)") }
        return value
    }

    /// A size in bytes: an integer or `64KiB`, `8MiB`, `1GiB` (also KB/MB/GB as powers of 1000).
    public func bytes(
        _ key: String, default fallback: Int, in range: ClosedRange<Int> = 0...Int.max
    ) throws(ValidationError) -> Int {
        guard let text = try optionalString(key) else { return fallback }
        guard let value = ConfigReader.parseBytes(text) else {
            throw error(key, "'\(text)' is not a size (e.g. 1048576, 64KiB, 8MiB)")
        }
        guard range.contains(value) else {
            throw error(key, "\(value) bytes is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// A list of strings; a single string counts as a list of one, a comma-separated
    /// string (as environment overrides give) as its parts.
    public func strings(_ key: String, default fallback: [String]) throws(ValidationError) -> [String] {
        guard let node = node(key) else { return fallback }
        if let scalar = node.scalar {
            return scalar.string.split(separator: ",").map { String($0.trimmingSpaces()) }.filter { !$0.isEmpty }
        }
        guard let sequence = node.sequence else { throw error(key, "must be a list") }
        var result: [String] = []
        for item in sequence {
            guard let scalar = item.scalar else { throw error(key, "every item must be a single value") }
            result.append(scalar.string)
        }
        return result
    }

    /// One of `choices`.
    public func choice<Value: RawRepresentable & CaseIterable>(
        _ key: String, default fallback: Value
    ) throws(ValidationError) -> Value
    where Value.RawValue == String {
        guard let text = try optionalString(key) else { return fallback }
        guard let value = Value(rawValue: text) else {
            throw error(key, "'\(text)' is not one of \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// A TCP port (0 = any free port).
    public func port(_ key: String, default fallback: Int) throws(ValidationError) -> Int {
        try int(key, default: fallback, in: 0...65535)
    }

    static func parseBytes(_ text: String) -> Int? {
        let trimmed = text.replacingUnderscores()
        let units: [(String, Int)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000),
            ("B", 1),
        ]
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            guard let number = Int(trimmed.dropLast(suffix.count).trimmingSpaces()) else { return nil }
            let (product, overflow) = number.multipliedReportingOverflow(by: scale)
            return overflow ? nil : product
        }
        return Int(trimmed)
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { filter { $0 != "_" } }
}
