/// A conformance check that did not hold; thrown, so each protocol's test reports it.
public struct ConformanceFailure: Error, CustomStringConvertible {
    /// What was expected and what happened.
    public let description: String
    /// Where in the suite.
    public let location: String

    init(_ description: String, file: StaticString, line: UInt) {
        self.description = "\(description) [\(file):\(line)]"
        self.location = "\(file):\(line)"
    }
}

/// Throws a `ConformanceFailure` with `message` unless `condition` holds.
func check(
    _ condition: @autoclosure () throws -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID,
    line: UInt = #line
) throws {
    guard try condition() else { throw ConformanceFailure(message(), file: file, line: line) }
}

/// The value, or a `ConformanceFailure` with `message` when it is nil.
func required<Value>(
    _ value: Value?, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line
) throws -> Value {
    guard let value else { throw ConformanceFailure(message(), file: file, line: line) }
    return value
}
