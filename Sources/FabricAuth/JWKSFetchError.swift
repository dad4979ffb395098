/// Why fetching the JWKS URL failed; the last good key set stays in force.
public struct JWKSFetchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The URL fetched.
    public let url: String
    /// What went wrong.
    public let reason: String

    /// Creates an error.
    public init(url: String, reason: String) {
        self.url = url
        self.reason = reason
    }

    public var description: String { "JWKS \(url): \(reason)" }
}
