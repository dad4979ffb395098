import Yams

/// The shedding priority table: the class of each message type, by type pattern.
///
/// Adapters act before routing, so the class comes from the type alone. The table lives
/// in the `fabric-config` bucket under `priorities` (written by the control API), and
/// every adapter instance watches it. The first entry whose pattern matches wins; a type
/// no entry matches gets `defaultPriority`.
///
/// ```yaml
/// version: 1
/// default: normal
/// priorities:
///   - { type: "payment.>", priority: critical }
///   - { type: "report.*", priority: batch }
/// ```
public struct PriorityTable: Sendable, Hashable {
    /// One line of the table.
    public struct Entry: Sendable, Hashable {
        /// Types it covers (NATS wildcards).
        public var pattern: TypePattern
        /// Their class.
        public var priority: Priority

        /// Creates an entry.
        public init(pattern: TypePattern, priority: Priority) {
            self.pattern = pattern
            self.priority = priority
        }
    }

    /// Format version this build reads and writes.
    public static let formatVersion = 1
    /// Most entries a table may have (each request scans it on a cache miss).
    public static let maxEntries = 1000

    /// The entries, first match wins.
    public var entries: [Entry]
    /// Class of types no entry matches.
    public var defaultPriority: Priority

    /// Creates a table.
    public init(entries: [Entry] = [], defaultPriority: Priority = .normal) {
        self.entries = entries
        self.defaultPriority = defaultPriority
    }

    /// The class of `type`.
    public func priority(for type: String) -> Priority {
        for entry in entries where entry.pattern.matches(type) { return entry.priority }
        return defaultPriority
    }

    /// Parses a table written in YAML or JSON; errors name the entry and the field.
    public static func parse(_ text: String) throws(ValidationError) -> PriorityTable {
        let root = try ConfigReader.parse(yaml: text, file: "priorities")
        let version = try root.int("version", default: formatVersion)
        guard version == formatVersion else {
            throw root.error("version", "unsupported version \(version) (this build reads \(formatVersion))")
        }
        let defaultPriority = try root.choice("default", default: Priority.normal)
        var entries: [Entry] = []
        if let list = root.node("priorities") {
            guard let items = list.sequence else {
                throw ValidationError(path: "priorities", reason: "must be a list of {type, priority}", line: list.mark?.line)
            }
            guard items.count <= maxEntries else {
                throw ValidationError(path: "priorities", reason: "more than \(maxEntries) entries", line: list.mark?.line)
            }
            for (index, item) in items.enumerated() {
                let reader = try ConfigReader(node: item, path: "priorities[\(index)]")
                guard let pattern = try reader.optionalString("type") else {
                    throw reader.error("type", "every entry needs a type")
                }
                let parsed: TypePattern
                do { parsed = try TypePattern(pattern) } catch { throw reader.error("type", error.reason) }
                guard reader.has("priority") else { throw reader.error("priority", "every entry needs a priority") }
                let priority = try reader.choice("priority", default: Priority.normal)
                try reader.finish()
                entries.append(Entry(pattern: parsed, priority: priority))
            }
        }
        try root.finish()
        return PriorityTable(entries: entries, defaultPriority: defaultPriority)
    }

    /// The table as compact JSON (also valid YAML), the form stored in `fabric-config`.
    public var json: String {
        let list: [JSONValue] = entries.map {
            .object(["type": .string($0.pattern.pattern), "priority": .string($0.priority.rawValue)])
        }
        return JSONCodec.encodeSorted(
            JSONValue.object([
                "version": .number(Double(PriorityTable.formatVersion)), "default": .string(defaultPriority.rawValue),
                "priorities": .array(list),
            ]))
    }
}
