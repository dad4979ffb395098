/// Why a dead-letter operation failed, in words for the person at the terminal.
public struct DeadLetterError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Wrapped: String, Sendable, Hashable {
            case notFound = "not found", invalid, unavailable
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// No dead letter with that sequence.
        public static let notFound = Code(.notFound)
        /// A bad argument (service name, target).
        public static let invalid = Code(.invalid)
        /// NATS or JetStream failed.
        public static let unavailable = Code(.unavailable)

        public var description: String { wrapped.rawValue }
    }

    /// The kind.
    public let code: Code
    /// What happened.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
