/// Why a token was refused.
///
/// A struct wrapping a code rather than an enum, so new codes do not break callers that
/// switch over the existing ones. `code.description` is a stable machine word
/// (`expired`, `unknown_key`, …) meant for metrics labels and logs; `reason` is for people
/// and never contains the token.
public struct AuthError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible, CaseIterable {
        private enum Wrapped: String, Sendable, Hashable, CaseIterable {
            case missing
            case malformed
            case expired
            case notYetValid = "not_yet_valid"
            case wrongIssuer = "wrong_issuer"
            case wrongAudience = "wrong_audience"
            case unknownKey = "unknown_key"
            case algorithmNotAllowed = "algorithm_not_allowed"
            case badSignature = "bad_signature"
            case missingClaim = "missing_claim"
            case invalidClaim = "invalid_claim"
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// No token was presented.
        public static let missing = Code(.missing)
        /// The token or the `Authorization` value is not a well-formed JWT.
        public static let malformed = Code(.malformed)
        /// `exp` is past, beyond the leeway.
        public static let expired = Code(.expired)
        /// `nbf` is ahead, beyond the leeway.
        public static let notYetValid = Code(.notYetValid)
        /// `iss` is absent or not the configured issuer.
        public static let wrongIssuer = Code(.wrongIssuer)
        /// `aud` names none of the configured audiences.
        public static let wrongAudience = Code(.wrongAudience)
        /// No key of ours has the token's `kid` (or the token has none and we hold several keys).
        public static let unknownKey = Code(.unknownKey)
        /// The token's `alg` is not allowed, or is not the algorithm its key is pinned to.
        public static let algorithmNotAllowed = Code(.algorithmNotAllowed)
        /// The signature does not verify with the key.
        public static let badSignature = Code(.badSignature)
        /// A required claim is absent.
        public static let missingClaim = Code(.missingClaim)
        /// A claim has the wrong type or a value the fabric cannot carry.
        public static let invalidClaim = Code(.invalidClaim)

        /// Every code, for metrics that pre-register their labels.
        public static let allCases: [Code] = Wrapped.allCases.map(Code.init)

        /// The stable machine word, e.g. `not_yet_valid`.
        public var description: String { wrapped.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// Details a person can act on.
    public let reason: String

    /// Creates an error.
    public init(_ code: Code, reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code): \(reason)" }
}

extension AuthError {
    /// A value from the token made safe for a reason: at most 64 characters, no control
    /// characters, since the token is the attacker's text and reasons end up in logs.
    static func shown(_ untrusted: String) -> String {
        let cleaned = String(
            String.UnicodeScalarView(untrusted.unicodeScalars.prefix(64).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
        return untrusted.unicodeScalars.count > 64 ? cleaned + "…" : cleaned
    }
}
