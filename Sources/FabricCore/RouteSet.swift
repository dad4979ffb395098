import Yams

/// A validated set of routing rules (`version: 1`, `routes:`, `default:`).
///
/// Parsing checks the whole file and refuses it at the first problem with the rule, the
/// field, the line and the reason; a router only ever swaps one valid set for another.
/// The format is in `docs/routing.md` and `schemas/routes.schema.json`.
public struct RouteSet: Sendable {
    /// What happens to a message no rule matches.
    public enum Fallback: Sendable, Hashable {
        /// Answer `not-found` (and count it).
        case notFound
        /// Route it like this rule.
        case route(Route)
    }

    /// Rule format version this build reads.
    public static let formatVersion = 1

    /// Where this set came from, stamped as `Fabric-Routes-Version` (`kv:<revision>`, `file:<hash>`).
    public var version: String
    /// The rules, in order.
    public var routes: [Route]
    /// The fallback.
    public var fallback: Fallback

    /// Creates a set from rules already built.
    public init(version: String, routes: [Route], fallback: Fallback = .notFound) {
        self.version = version
        self.routes = routes
        self.fallback = fallback
    }

    /// Parses and validates YAML rules.
    public static func parse(yaml: String, version: String) throws(RuleError) -> RouteSet {
        let root: ConfigReader
        do {
            root = try ConfigReader.parse(yaml: yaml, file: "rules")
        } catch {
            throw RuleError(field: "", reason: error.reason, line: error.line)
        }
        do throws(ValidationError) {
            let formatVersion = try root.int("version", default: -1)
            guard formatVersion == RouteSet.formatVersion else {
                throw root.error(
                    "version",
                    formatVersion == -1
                        ? "missing: the file starts with 'version: 1'"
                        : "unsupported version \(formatVersion) (this build reads 1)")
            }
        } catch {
            throw RuleError(field: error.path, reason: error.reason, line: error.line)
        }
        var routes: [Route] = []
        var names: [String: Int] = [:]
        if let list = root.node("routes") {
            guard let items = list.sequence else {
                throw RuleError(field: "routes", reason: "must be a list of rules", line: list.mark?.line)
            }
            for (index, item) in items.enumerated() {
                let route = try RouteParser.route(item, index: index)
                if let first = names[route.name] {
                    throw RuleError(
                        rule: route.name, index: index, field: "name",
                        reason: "duplicate name (also routes[\(first)])", line: route.line)
                }
                names[route.name] = index
                routes.append(route)
            }
        }
        var fallback = Fallback.notFound
        if let node = root.node("default") {
            if let text = node.scalar?.string {
                guard text == "not-found" else {
                    throw RuleError(
                        field: "default", reason: "is 'not-found' or a route (to, delivery, …)", line: node.mark?.line)
                }
            } else {
                fallback = .route(try RouteParser.route(node, index: nil))
            }
        }
        do {
            try root.finish()
        } catch {
            throw RuleError(field: error.path, reason: error.reason, line: error.line)
        }
        return RouteSet(version: version, routes: routes, fallback: fallback)
    }

    /// Lower-cased names of every header a rule or partition key looks at.
    public var referencedHeaders: Set<String> {
        var names = Set<String>()
        var all = routes
        if case .route(let route) = fallback { all.append(route) }
        for route in all {
            names.formUnion(route.match.headers.map(\.name))
            if case .header(let name)? = route.partition?.key { names.insert(name) }
        }
        return names
    }
}

/// Reads one rule with `ConfigReader`, turning its errors into `RuleError`s.
enum RouteParser {
    static func route(_ node: Node, index: Int?) throws(RuleError) -> Route {
        let line = node.mark?.line
        var name = index == nil ? "default" : ""
        do throws(ValidationError) {
            let reader = try ConfigReader(node: node, path: "")
            if index != nil {
                guard let given = try reader.optionalString("name"), !given.isEmpty else {
                    throw ValidationError(path: "name", reason: "every rule has a name", line: line)
                }
                name = given
            }
            var route = Route(name: name, index: index ?? Int.max, to: [])
            route.line = line
            if index != nil { route.match = try match(reader.section("match")) }
            route.require = try conditions(reader.section("require"))
            route.to = try reader.strings("to", default: [])
            guard !route.to.isEmpty else { throw reader.error("to", "needs at least one service") }
            for service in route.to {
                do { try MessageType.validateService(service) } catch { throw reader.error("to", error.reason) }
            }
            route.delivery = try reader.choice("delivery", default: .atMostOnce)
            if reader.has("retry") { route.retry = try retry(reader.section("retry")) }
            route.onFailure = try reader.choice("on_failure", default: .deadLetter)
            if reader.has("priority") { route.priority = try reader.choice("priority", default: .normal) }
            if reader.has("partition") { route.partition = try partition(reader.section("partition")) }
            if reader.has("cache") { route.cache = try cache(reader.section("cache")) }
            if index != nil { route.continues = try reader.bool("continue", default: false) }
            try reader.finish()
            return route
        } catch {
            throw RuleError(
                rule: name.isEmpty ? nil : name, index: index, field: error.path, reason: error.reason, line: error.line)
        }
    }

    static func match(_ reader: ConfigReader) throws(ValidationError) -> RouteMatch {
        var match = RouteMatch()
        if let text = try reader.optionalString("type") {
            do { match.type = try TypePattern(text) } catch { throw reader.error("type", error.reason) }
        }
        for text in try reader.strings("source", default: []) {
            guard let source = Source(rawValue: text) else {
                throw reader.error("source", "'\(text)' is not one of \(Source.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            match.sources.insert(source)
        }
        if let text = try reader.optionalString("topic") {
            do { match.topic = try TopicFilter(text) } catch { throw reader.error("topic", error.reason) }
        }
        match.claims = try conditions(reader.section("claims"))
        match.headers = try conditions(reader.section("headers")).map { ($0.name.lowercased(), $0.condition) }
        let payload = try reader.section("payload")
        for key in payload.keys {
            let pointer: JSONPointer
            do { pointer = try JSONPointer(key) } catch { throw payload.error(key, error.reason) }
            match.payload.append((pointer, try condition(payload, key)))
        }
        try payload.finish()
        try reader.finish()
        return match
    }

    static func conditions(_ reader: ConfigReader) throws(ValidationError) -> [(name: String, condition: ValueCondition)] {
        var result: [(name: String, condition: ValueCondition)] = []
        for key in reader.keys { result.append((key, try condition(reader, key))) }
        try reader.finish()
        return result
    }

    /// A value (equality), a list (one of) or a mapping of operators.
    static func condition(_ reader: ConfigReader, _ key: String) throws(ValidationError) -> ValueCondition {
        guard let node = reader.node(key) else { throw reader.error(key, "needs a condition") }
        if let sequence = node.sequence {
            return ValueCondition([.oneOf(sequence.map(jsonValue))])
        }
        guard let mapping = node.mapping else { return ValueCondition([.eq(jsonValue(node))]) }
        var tests: [ValueCondition.Test] = []
        for (operatorNode, operand) in mapping {
            let name = operatorNode.string ?? ""
            let value = jsonValue(operand)
            let path = "\(key).\(name)"
            switch name {
            case "eq": tests.append(.eq(value))
            case "ne": tests.append(.ne(value))
            case "gt", "gte", "lt", "lte":
                guard case .number(let bound) = value else { throw reader.error(path, "'\(name)' needs a number") }
                tests.append(name == "gt" ? .gt(bound) : name == "gte" ? .gte(bound) : name == "lt" ? .lt(bound) : .lte(bound))
            case "in":
                guard case .array(let values) = value else { throw reader.error(path, "'in' needs a list") }
                tests.append(.oneOf(values))
            case "exists":
                guard case .bool(let flag) = value else { throw reader.error(path, "'exists' needs true or false") }
                tests.append(.exists(flag))
            case "prefix":
                guard case .string(let start) = value else { throw reader.error(path, "'prefix' needs a string") }
                tests.append(.prefix(start))
            default:
                throw reader.error(path, "unknown operator '\(name)' (\(ValueCondition.operators.joined(separator: ", ")))")
            }
        }
        guard !tests.isEmpty else { throw reader.error(key, "needs at least one operator") }
        return ValueCondition(tests)
    }

    static func retry(_ reader: ConfigReader) throws(ValidationError) -> RetryPolicy {
        var policy = RetryPolicy.default
        policy.attempts = try reader.int("attempts", default: policy.attempts)
        let backoff = try reader.section("backoff")
        policy.initial = try backoff.duration("initial", default: policy.initial)
        policy.max = try backoff.duration("max", default: policy.max)
        policy.multiplier = try backoff.double("multiplier", default: policy.multiplier, in: -1e9...1e9)
        policy.jitter = try backoff.double("jitter", default: policy.jitter, in: -1e9...1e9)
        try backoff.finish()
        try reader.finish()
        do {
            try policy.validate(path: reader.path)
        } catch {
            let key = error.path.split(separator: ".").last.map(String.init) ?? ""
            throw ValidationError(
                path: error.path, reason: error.reason, line: key == "attempts" ? reader.lineOf("attempts") : backoff.lineOf(key))
        }
        return policy
    }

    static func partition(_ reader: ConfigReader) throws(ValidationError) -> PartitionSpec {
        let text = try reader.string("key", default: "")
        let key: PartitionSpec.Key
        do { key = try PartitionSpec.Key(text) } catch { throw reader.error("key", error.reason) }
        let count = try reader.int("count", default: 0, in: 1...1024)
        try reader.finish()
        return PartitionSpec(key: key, count: count)
    }

    static func cache(_ reader: ConfigReader) throws(ValidationError) -> CachePolicy {
        let ttl = try reader.duration("ttl", default: .zero)
        guard ttl > .zero else { throw reader.error("ttl", "needs a positive duration") }
        let vary = try reader.strings("vary", default: ["principal"])
        for name in vary where !CachePolicy.varyNames.contains(name) {
            throw reader.error("vary", "cannot vary by '\(name)' (principal, tenant, roles)")
        }
        try reader.finish()
        return CachePolicy(ttl: ttl, vary: vary)
    }

    /// A YAML node as JSON: plain scalars become numbers, booleans or null when they read so.
    static func jsonValue(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain {
                if let flag = node.bool { return .bool(flag) }
                if let number = node.int { return .number(Double(number)) }
                if let number = node.float { return .number(number) }
                if node.null != nil { return .null }
            }
            return .string(scalar.string)
        case .sequence(let sequence): return .array(sequence.map(jsonValue))
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping { members[key.string ?? ""] = jsonValue(value) }
            return .object(members)
        case .alias: return .null
        }
    }
}
