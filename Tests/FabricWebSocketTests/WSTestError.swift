/// A test's own failure with a message.
struct WSTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
