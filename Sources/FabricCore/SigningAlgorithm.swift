/// A JWT signature algorithm (`alg`) the fabric can verify; `none` is deliberately not one.
///
/// Each key is pinned to exactly one of these, so the token's own `alg` header never
/// chooses how a key is used.
public enum SigningAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// HMAC with SHA-256 over a shared secret (JWK `kty: oct`).
    case hs256 = "HS256"
    /// RSASSA-PKCS1-v1_5 with SHA-256 (JWK `kty: RSA`, at least 2048 bits).
    case rs256 = "RS256"
    /// ECDSA on P-256 with SHA-256 (JWK `kty: EC`, `crv: P-256`).
    case es256 = "ES256"
    /// Ed25519 (JWK `kty: OKP`, `crv: Ed25519`).
    case edDSA = "EdDSA"

    /// The JWK key type (`kty`) a key of this algorithm has.
    public var keyType: String {
        switch self {
        case .hs256: return "oct"
        case .rs256: return "RSA"
        case .es256: return "EC"
        case .edDSA: return "OKP"
        }
    }

    /// Parses an `alg` value as written in a token, a JWK or the configuration.
    ///
    /// Exact and case-sensitive, as RFC 7518 says: `hs256` is not `HS256`.
    public init?(name: String) {
        self.init(rawValue: name)
    }
}
