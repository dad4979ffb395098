/// A type pattern in NATS style: `*` matches one token, a final `>` one or more.
public struct TypePattern: Sendable, Hashable, CustomStringConvertible {
    /// One token of a pattern.
    public enum Token: Sendable, Hashable {
        /// A literal token.
        case literal(String)
        /// `*`.
        case one
        /// `>`, always last.
        case rest
    }

    /// The pattern as written.
    public let pattern: String
    /// Its tokens.
    public let tokens: [Token]

    /// Parses `pattern`; tokens are literals of `[A-Za-z0-9_-]`, `*`, or a final `>`.
    public init(_ pattern: String) throws(ValidationError) {
        let parts = pattern.split(separator: ".", omittingEmptySubsequences: false)
        guard !pattern.isEmpty, parts.count <= MessageType.maxTokens else {
            throw ValidationError(path: pattern, reason: "a type pattern has 1 to \(MessageType.maxTokens) tokens")
        }
        var tokens: [Token] = []
        for (index, part) in parts.enumerated() {
            switch part {
            case "*": tokens.append(.one)
            case ">":
                guard index == parts.count - 1 else { throw ValidationError(path: pattern, reason: "'>' must be the last token") }
                tokens.append(.rest)
            default:
                guard !part.isEmpty, part.utf8.allSatisfy(MessageType.isTokenByte) else {
                    throw ValidationError(
                        path: pattern, reason: "'\(part)' is not a token (letters, digits, '-', '_'; or '*', '>')")
                }
                tokens.append(.literal(String(part)))
            }
        }
        self.pattern = pattern
        self.tokens = tokens
    }

    /// Whether a concrete type matches.
    public func matches(_ type: String) -> Bool {
        let parts = type.split(separator: ".", omittingEmptySubsequences: false)
        for (index, token) in tokens.enumerated() {
            switch token {
            case .rest: return parts.count > index
            case .one: guard index < parts.count else { return false }
            case .literal(let text): guard index < parts.count, parts[index] == text else { return false }
            }
        }
        return parts.count == tokens.count
    }

    public var description: String { pattern }
}
