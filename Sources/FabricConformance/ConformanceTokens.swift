import Crypto
import CryptoExtras
import FabricCore
import Foundation

/// The keys and tokens of the conformance suite: good tokens signed with an Ed25519 key,
/// and every kind of bad token the auth matrix sends.
///
/// Tokens are assembled by hand (header, claims, signature) so the suite can write what
/// no honest library would sign: `alg: none`, an HS256 token keyed with the RSA public key.
public struct ConformanceTokens: Sendable {
    /// Issuer the verifier requires.
    public static let issuer = "fabric-conformance"
    /// Audience the verifier requires.
    public static let audience = "fabric"
    /// kid of the signing key.
    public static let signingKeyID = "ed"
    /// kid of the RSA key (RS256) the verifier also trusts.
    public static let rsaKeyID = "rsa"

    /// A bad token and the `AuthError` reason word it must be refused with.
    public enum Forgery: String, Sendable, CaseIterable, CustomStringConvertible {
        case missing, malformed, expired
        case notYetValid = "not yet valid"
        case wrongIssuer = "wrong issuer"
        case wrongAudience = "wrong audience"
        case unknownKid = "unknown kid"
        case algNone = "alg none"
        case hs256WithRSAPublicKey = "HS256 signed with the RSA public key"

        /// The reason word the adapter must answer with.
        public var reason: String {
            switch self {
            case .missing: "missing"
            case .malformed: "malformed"
            case .expired: "expired"
            case .notYetValid: "not_yet_valid"
            case .wrongIssuer: "wrong_issuer"
            case .wrongAudience: "wrong_audience"
            case .unknownKid: "unknown_key"
            case .algNone, .hs256WithRSAPublicKey: "algorithm_not_allowed"
            }
        }

        public var description: String { rawValue }
    }

    /// One RSA key per process: generating it is the slow part.
    private static let rsaKey: _RSA.Signing.PrivateKey = {
        do { return try _RSA.Signing.PrivateKey(keySize: .bits2048) } catch { fatalError("RSA key generation failed: \(error)") }
    }()

    private let signingKey: Curve25519.Signing.PrivateKey

    /// Creates a fresh signing key.
    public init() { signingKey = Curve25519.Signing.PrivateKey() }

    /// The JWKS of the trusted public keys (Ed25519 `ed`, RSA `rsa`).
    public var jwks: String {
        let rsa = try? ConformanceTokens.rsaKey.publicKey.getKeyPrimitives()
        let keys: [JSONValue] = [
            .object([
                "kty": .string("OKP"), "crv": .string("Ed25519"), "alg": .string("EdDSA"), "use": .string("sig"),
                "kid": .string(ConformanceTokens.signingKeyID),
                "x": .string(Self.base64URL(signingKey.publicKey.rawRepresentation)),
            ]),
            .object([
                "kty": .string("RSA"), "alg": .string("RS256"), "use": .string("sig"), "kid": .string(ConformanceTokens.rsaKeyID),
                "n": .string(Self.base64URL(rsa?.modulus ?? Data())), "e": .string(Self.base64URL(rsa?.publicExponent ?? Data())),
            ]),
        ]
        return JSONCodec.encodeSorted(JSONValue.object(["keys": .array(keys)]))
    }

    /// Claims of a valid token for `sub`, valid for an hour.
    public func claims(
        sub: String = "alice", roles: [String] = ["reader"], tenant: String? = "acme", extra: [String: JSONValue] = [:]
    ) -> [String: JSONValue] {
        let now = Date().timeIntervalSince1970.rounded(.down)
        var claims: [String: JSONValue] = [
            "sub": .string(sub), "iss": .string(ConformanceTokens.issuer), "aud": .string(ConformanceTokens.audience),
            "iat": .number(now), "exp": .number(now + 3600), "roles": .array(roles.map(JSONValue.string)),
        ]
        if let tenant { claims["tenant"] = .string(tenant) }
        claims.merge(extra) { $1 }
        return claims
    }

    /// A valid token.
    public func valid(
        sub: String = "alice", roles: [String] = ["reader"], tenant: String? = "acme",
        extra: [String: JSONValue] = ["plan": .string("pro")]
    ) -> String {
        signed(claims(sub: sub, roles: roles, tenant: tenant, extra: extra))
    }

    /// `claims` signed with the Ed25519 key under `kid`.
    public func signed(_ claims: [String: JSONValue], kid: String = ConformanceTokens.signingKeyID) -> String {
        Self.assemble(header: ["alg": .string("EdDSA"), "typ": .string("JWT"), "kid": .string(kid)], claims: claims) { input in
            Array((try? signingKey.signature(for: input)) ?? Data())
        }
    }

    /// The token of `forgery` (nil for `missing`).
    public func forged(_ forgery: Forgery) -> String? {
        let now = Date().timeIntervalSince1970.rounded(.down)
        switch forgery {
        case .missing:
            return nil
        case .malformed:
            return "not-a-jwt"
        case .expired:
            return signed(claims(extra: ["iat": .number(now - 7200), "exp": .number(now - 3600)]))
        case .notYetValid:
            return signed(claims(extra: ["nbf": .number(now + 3600)]))
        case .wrongIssuer:
            return signed(claims(extra: ["iss": .string("somebody-else")]))
        case .wrongAudience:
            return signed(claims(extra: ["aud": .string("another-service")]))
        case .unknownKid:
            // Signed with the real key, under a kid the verifier does not have.
            return signed(claims(), kid: "retired")
        case .algNone:
            return Self.assemble(
                header: ["alg": .string("none"), "typ": .string("JWT"), "kid": .string(ConformanceTokens.signingKeyID)],
                claims: claims()
            ) { _ in [] }
        case .hs256WithRSAPublicKey:
            let secret = Array(ConformanceTokens.rsaKey.publicKey.pemRepresentation.utf8)
            return Self.assemble(
                header: ["alg": .string("HS256"), "typ": .string("JWT"), "kid": .string(ConformanceTokens.rsaKeyID)],
                claims: claims()
            ) { input in Array(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: secret))) }
        }
    }

    private static func assemble(
        header: [String: JSONValue], claims: [String: JSONValue], sign: ([UInt8]) -> [UInt8]
    ) -> String {
        let input =
            base64URL(Array(JSONCodec.encodeSorted(JSONValue.object(header)).utf8)) + "."
            + base64URL(Array(JSONCodec.encodeSorted(JSONValue.object(claims)).utf8))
        return input + "." + base64URL(sign(Array(input.utf8)))
    }

    static func base64URL<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return String(text.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }
}
