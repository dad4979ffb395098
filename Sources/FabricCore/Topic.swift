/// A client-facing topic name in MQTT syntax (`sensors/eu/42/t`), without wildcards.
///
/// Topics are the same on every protocol; inside NATS each level becomes one subject
/// token through `SubjectToken`, so `sensors/eu.west/+` cannot escape its level.
public struct Topic: Sendable, Hashable, CustomStringConvertible {
    /// Most levels a topic or filter may have.
    public static let maxLevels = 32
    /// Longest topic or filter, in UTF-8 bytes.
    public static let maxBytes = 1024

    /// The topic as the client wrote it.
    public let name: String
    /// The levels, in order.
    public let levels: [Substring]

    /// Validates `name` as a topic: no `+` or `#`, no NUL, within the limits.
    public init(_ name: String) throws(ValidationError) {
        try Topic.checkLimits(name)
        let levels = name.split(separator: "/", omittingEmptySubsequences: false)
        for level in levels where level.contains("+") || level.contains("#") {
            throw ValidationError(path: name, reason: "a topic name may not contain '+' or '#' (those are for subscriptions)")
        }
        self.name = name
        self.levels = levels
    }

    /// The subject suffix: each level encoded, joined with `.`.
    public var subjectSuffix: String {
        levels.map { SubjectToken.encode(String($0)) }.joined(separator: ".")
    }

    /// The topic a subject suffix stands for.
    public init(subjectSuffix: Substring) throws(ValidationError) {
        var decoded: [String] = []
        for token in subjectSuffix.split(separator: ".", omittingEmptySubsequences: false) {
            decoded.append(try SubjectToken.decode(String(token)))
        }
        try self.init(decoded.joined(separator: "/"))
    }

    public var description: String { name }

    static func checkLimits(_ name: String) throws(ValidationError) {
        guard !name.isEmpty else { throw ValidationError(path: name, reason: "a topic may not be empty") }
        guard name.utf8.count <= maxBytes else {
            throw ValidationError(path: String(name.prefix(64)), reason: "longer than \(maxBytes) bytes")
        }
        guard !name.utf8.contains(0) else { throw ValidationError(path: name, reason: "a topic may not contain NUL") }
        let levelCount = name.utf8.reduce(1) { $1 == UInt8(ascii: "/") ? $0 + 1 : $0 }
        guard levelCount <= maxLevels else {
            throw ValidationError(path: name, reason: "more than \(maxLevels) levels")
        }
    }
}

/// A topic filter in MQTT syntax: `+` matches one level, a final `#` this level and all below.
public struct TopicFilter: Sendable, Hashable, CustomStringConvertible {
    /// One level of a filter.
    public enum Level: Sendable, Hashable {
        /// A literal level.
        case literal(String)
        /// `+`.
        case single
        /// `#`, always last.
        case rest
    }

    /// The filter as written.
    public let filter: String
    /// The parsed levels.
    public let levels: [Level]

    /// Validates `filter`: `+` and `#` only as whole levels, `#` only last.
    public init(_ filter: String) throws(ValidationError) {
        try Topic.checkLimits(filter)
        let parts = filter.split(separator: "/", omittingEmptySubsequences: false)
        var levels: [Level] = []
        for (index, part) in parts.enumerated() {
            switch part {
            case "+":
                levels.append(.single)
            case "#":
                guard index == parts.count - 1 else {
                    throw ValidationError(path: filter, reason: "'#' must be the last level")
                }
                levels.append(.rest)
            default:
                if part.contains("+") || part.contains("#") {
                    throw ValidationError(path: filter, reason: "'+' and '#' must stand alone in a level")
                }
                levels.append(.literal(String(part)))
            }
        }
        self.filter = filter
        self.levels = levels
    }

    /// True when the filter has no wildcard.
    public var isLiteral: Bool {
        levels.allSatisfy { if case .literal = $0 { true } else { false } }
    }

    /// The NATS subject patterns (suffixes) that together cover this filter.
    ///
    /// MQTT's `a/#` also matches `a` itself, which NATS `a.>` does not, so it yields both
    /// `a` and `a.>`.
    public var subjectSuffixes: [String] {
        var tokens: [String] = []
        for level in levels {
            switch level {
            case .literal(let text): tokens.append(SubjectToken.encode(text))
            case .single: tokens.append("*")
            case .rest:
                let parent = tokens.joined(separator: ".")
                tokens.append(">")
                let all = tokens.joined(separator: ".")
                return parent.isEmpty ? [all] : [parent, all]
            }
        }
        return [tokens.joined(separator: ".")]
    }

    /// True when `topic` matches the filter (MQTT rules, including `$`-topics not
    /// matching a leading wildcard).
    public func matches(_ topic: Topic) -> Bool {
        if let first = topic.levels.first, first.hasPrefix("$") {
            switch levels.first {
            case .single?, .rest?: return false
            default: break
            }
        }
        var index = 0
        for level in levels {
            switch level {
            case .rest:
                return true
            case .single:
                guard index < topic.levels.count else { return false }
            case .literal(let text):
                guard index < topic.levels.count, topic.levels[index] == text else { return false }
            }
            index += 1
        }
        return index == topic.levels.count
    }

    /// True when every topic this filter matches is matched by `allowed` too, so a client
    /// allowed `allowed` may subscribe to this filter.
    ///
    /// `sensors/+/t` is covered by `sensors/#` and by `sensors/+/+`, not by `sensors/eu/t`.
    public func isCovered(by allowed: TopicFilter) -> Bool {
        for (index, level) in levels.enumerated() {
            guard index < allowed.levels.count else { return false }
            switch (level, allowed.levels[index]) {
            case (_, .rest): return true
            case (.literal, .single), (.single, .single): continue
            case (.literal(let mine), .literal(let theirs)) where mine == theirs: continue
            default: return false
            }
        }
        if allowed.levels.count == levels.count { return true }
        // MQTT's `a/#` also matches `a` itself.
        return allowed.levels.count == levels.count + 1 && allowed.levels.last == .rest
    }

    public var description: String { filter }
}
