/// Why a rule set was refused: which rule, which field, which line, and why.
public struct RuleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Name of the rule (nil for file-level problems).
    public var rule: String?
    /// Position of the rule in `routes`.
    public var index: Int?
    /// Field path inside the rule (`match.payload./reading/celsius`) or the file.
    public var field: String
    /// What is wrong.
    public var reason: String
    /// 1-based line.
    public var line: Int?

    /// Creates an error.
    public init(rule: String? = nil, index: Int? = nil, field: String, reason: String, line: Int? = nil) {
        self.rule = rule
        self.index = index
        self.field = field
        self.reason = reason
        self.line = line
    }

    public var description: String {
        var text = ""
        if let index { text += "routes[\(index)]" }
        if let rule { text += text.isEmpty ? "rule '\(rule)'" : " '\(rule)'" }
        if !text.isEmpty { text += ": " }
        text += field.isEmpty ? reason : "\(field): \(reason)"
        if let line { text += " (line \(line))" }
        return text
    }
}
