/// A condition on one value (a payload field, a header, a claim): `eq, ne, gt, gte, lt,
/// lte, in, exists, prefix`, all of which must hold.
///
/// Against an array value (a role list, a JSON array) a condition holds when it holds
/// for any element, so `roles: admin` means "has the role admin". Numbers compare as
/// numbers, also when a header carries them as text.
public struct ValueCondition: Sendable, Hashable, CustomStringConvertible {
    /// One operator and its operand.
    public enum Test: Sendable, Hashable {
        /// Equal.
        case eq(JSONValue)
        /// Not equal.
        case ne(JSONValue)
        /// Greater than.
        case gt(Double)
        /// Greater than or equal.
        case gte(Double)
        /// Less than.
        case lt(Double)
        /// Less than or equal.
        case lte(Double)
        /// Equal to one of.
        case oneOf([JSONValue])
        /// Present (true) or absent (false).
        case exists(Bool)
        /// A string starting with.
        case prefix(String)
    }

    /// Every test that must hold.
    public let tests: [Test]

    /// Operator names as written in rules.
    public static let operators = ["eq", "ne", "gt", "gte", "lt", "lte", "in", "exists", "prefix"]

    /// Creates a condition.
    public init(_ tests: [Test]) { self.tests = tests }

    /// Whether `value` (nil when absent) satisfies every test.
    public func matches(_ value: JSONValue?) -> Bool {
        tests.allSatisfy { test in
            if case .exists(let wanted) = test { return (value != nil && value != .null) == wanted }
            guard let value else {
                if case .ne = test { return true }
                return false
            }
            if case .array(let elements) = value {
                if case .ne(let operand) = test { return !elements.contains { ValueCondition.equal($0, operand) } }
                return elements.contains { ValueCondition.evaluate(test, $0) }
            }
            return ValueCondition.evaluate(test, value)
        }
    }

    private static func evaluate(_ test: Test, _ value: JSONValue) -> Bool {
        switch test {
        case .eq(let operand): return equal(value, operand)
        case .ne(let operand): return !equal(value, operand)
        case .gt(let bound): return number(value).map { $0 > bound } ?? false
        case .gte(let bound): return number(value).map { $0 >= bound } ?? false
        case .lt(let bound): return number(value).map { $0 < bound } ?? false
        case .lte(let bound): return number(value).map { $0 <= bound } ?? false
        case .oneOf(let operands): return operands.contains { equal(value, $0) }
        case .exists(let wanted): return wanted
        case .prefix(let start): return value.stringValue?.hasPrefix(start) ?? false
        }
    }

    /// Equality that treats `"50"` and `50` as equal, since headers carry numbers as text.
    static func equal(_ value: JSONValue, _ operand: JSONValue) -> Bool {
        if value == operand { return true }
        switch (value, operand) {
        case (.string(let text), .number(let number)), (.number(let number), .string(let text)):
            return Double(text) == number
        case (.string(let text), .bool(let flag)), (.bool(let flag), .string(let text)):
            return text == (flag ? "true" : "false")
        default:
            return false
        }
    }

    private static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .number(let number): return number
        case .string(let text): return Double(text)
        default: return nil
        }
    }

    public var description: String {
        tests.map { test in
            switch test {
            case .eq(let value): "eq \(value.compactText)"
            case .ne(let value): "ne \(value.compactText)"
            case .gt(let bound): "gt \(bound)"
            case .gte(let bound): "gte \(bound)"
            case .lt(let bound): "lt \(bound)"
            case .lte(let bound): "lte \(bound)"
            case .oneOf(let values): "in [\(values.map(\.compactText).joined(separator: ", "))]"
            case .exists(let wanted): "exists \(wanted)"
            case .prefix(let start): "prefix \"\(start)\""
            }
        }.joined(separator: " and ")
    }
}

extension JSONValue {
    /// The value as compact JSON text.
    public var compactText: String { JSONCodec.encodeSorted(self) }
}
