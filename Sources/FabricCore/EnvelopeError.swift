/// Why a set of headers and a body is not a valid envelope.
///
/// A struct wrapping a code rather than an enum, so new codes do not break callers that
/// switch over the existing ones.
public struct EnvelopeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Wrapped: String, Sendable, Hashable {
            case missingHeader = "missing header"
            case invalidHeader = "invalid header"
            case tooManyHeaders = "too many headers"
            case headerTooLarge = "header too large"
            case headersTooLarge = "headers too large"
            case payloadTooLarge = "payload too large"
            case unsupportedVersion = "unsupported version"
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// A required header is absent.
        public static let missingHeader = Code(.missingHeader)
        /// A header's value does not parse or is out of range.
        public static let invalidHeader = Code(.invalidHeader)
        /// More header fields than the limit.
        public static let tooManyHeaders = Code(.tooManyHeaders)
        /// One header value is longer than the limit.
        public static let headerTooLarge = Code(.headerTooLarge)
        /// All headers together are larger than the limit.
        public static let headersTooLarge = Code(.headersTooLarge)
        /// The payload is larger than the limit.
        public static let payloadTooLarge = Code(.payloadTooLarge)
        /// `Fabric-Version` names a version this build does not read.
        public static let unsupportedVersion = Code(.unsupportedVersion)

        public var description: String { wrapped.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// The header concerned, when there is one.
    public let header: String?
    /// Details a person can act on.
    public let reason: String

    /// Creates an error.
    public init(_ code: Code, header: String? = nil, reason: String) {
        self.code = code
        self.header = header
        self.reason = reason
    }

    public var description: String {
        if let header { return "\(code) \(header): \(reason)" }
        return "\(code): \(reason)"
    }
}
