import Crypto
import CryptoExtras
import FabricCore
import Foundation
import JWTKit
import Testing

@testable import FabricAuth

/// A key for tests: the JWK the verifier loads and a jwt-kit collection that signs with it.
struct TestKey: Sendable {
    /// One RSA key for the whole run: generating 2048-bit keys is the slow part of RSA tests.
    static let rsaPrivateKey: _RSA.Signing.PrivateKey = {
        do { return try _RSA.Signing.PrivateKey(keySize: .bits2048) } catch { fatalError("RSA key generation failed: \(error)") }
    }()

    let kid: String
    let algorithm: SigningAlgorithm
    /// The public JWK (for HS256, the secret), with `alg`.
    let publicJWK: [String: JSONValue]
    /// The JWK with its private part.
    let privateJWK: [String: JSONValue]?
    private let signer: JWTKeyCollection

    /// A fresh key of `algorithm` under `kid`.
    static func make(_ algorithm: SigningAlgorithm, kid: String) async throws -> TestKey {
        let collection = JWTKeyCollection()
        let identifier = JWKIdentifier(string: kid)
        var jwk: [String: JSONValue] = ["kid": .string(kid), "alg": .string(algorithm.rawValue), "use": .string("sig")]
        var privateJWK: [String: JSONValue]?
        switch algorithm {
        case .hs256:
            let secret = (0..<32).map { _ in UInt8.random(in: 0...255) }
            await collection.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: identifier)
            jwk["kty"] = .string("oct")
            jwk["k"] = .string(base64URL(secret))
            privateJWK = jwk
        case .rs256:
            let privateKey = try Insecure.RSA.PrivateKey(backing: rsaPrivateKey)
            await collection.add(rsa: privateKey, digestAlgorithm: .sha256, kid: identifier)
            let primitives = try privateKey.publicKey.getKeyPrimitives()
            jwk["kty"] = .string("RSA")
            jwk["n"] = .string(base64URL(primitives.modulus))
            jwk["e"] = .string(base64URL(primitives.publicExponent))
            let numbers = try #require(PKCS1(der: Array(rsaPrivateKey.derRepresentation))).integers
            privateJWK = jwk.merging([
                "d": .string(base64URL(numbers[2])), "p": .string(base64URL(numbers[3])),
                "q": .string(base64URL(numbers[4])),
            ]) { $1 }
        case .es256:
            let privateKey = ES256PrivateKey()
            await collection.add(ecdsa: privateKey, kid: identifier)
            let parameters = try #require(privateKey.parameters)
            jwk["kty"] = .string("EC")
            jwk["crv"] = .string("P-256")
            jwk["x"] = .string(parameters.x)
            jwk["y"] = .string(parameters.y)
            let raw = try P256.Signing.PrivateKey(pemRepresentation: privateKey.pemRepresentation).rawRepresentation
            privateJWK = jwk.merging(["d": .string(base64URL(raw))]) { $1 }
        case .edDSA:
            let privateKey = try EdDSA.PrivateKey(curve: .ed25519)
            await collection.add(eddsa: privateKey, kid: identifier)
            jwk["kty"] = .string("OKP")
            jwk["crv"] = .string("Ed25519")
            jwk["x"] = .string(base64URL(privateKey.publicKey.rawRepresentation))
            privateJWK = jwk.merging(["d": .string(base64URL(privateKey.rawRepresentation))]) { $1 }
        }
        return TestKey(kid: kid, algorithm: algorithm, publicJWK: jwk, privateJWK: privateJWK, signer: collection)
    }

    /// The public JWK without its `alg` member.
    var publicJWKWithoutAlgorithm: [String: JSONValue] { publicJWK.filter { $0.key != "alg" } }

    /// What a signed token's header says its `kid` is.
    enum HeaderKeyID {
        /// This key's kid.
        case own
        /// Another kid (the signature is still this key's).
        case other(String)
        /// No kid at all.
        case absent
    }

    /// A token of `claims` signed by this key.
    func sign(_ claims: [String: JSONValue], headerKeyID: HeaderKeyID = .own) async throws -> String {
        var header = JWTHeader()
        switch headerKeyID {
        case .own:
            return try await signer.sign(JWTClaimSet(claims), kid: JWKIdentifier(string: kid))
        case .other(let other):
            // jwt-kit falls back to its default key (this one) for an unknown kid: the very
            // trap the verifier must not fall into, used here to forge the header.
            header.kid = other
        case .absent:
            break
        }
        return try await signer.sign(JWTClaimSet(claims), header: header)
    }

    /// A JWKS document of `keys`' public JWKs.
    static func jwks(_ keys: [TestKey]) -> [UInt8] {
        jwks(keys.map(\.publicJWK))
    }

    /// A JWKS document of raw JWK objects.
    static func jwks(_ objects: [[String: JSONValue]]) -> [UInt8] {
        Array(JSONCodec.encodeSorted(JSONValue.object(["keys": .array(objects.map(JSONValue.object))])).utf8)
    }
}

/// Unpadded base64url.
func base64URL<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
    var text = Data(bytes).base64EncodedString()
    while text.hasSuffix("=") { text.removeLast() }
    return String(text.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
}
