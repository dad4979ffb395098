/// A failure of the HTTP tests' own machinery (not of a check).
struct HTTPTestError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
