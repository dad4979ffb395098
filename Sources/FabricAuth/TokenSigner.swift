import FabricCore
import Foundation
import JWTKit

/// Signs tokens with a private key from a JWKS file — `fabric token`'s development tokens
/// and tests. The fabric itself only ever verifies.
public struct TokenSigner: Sendable {
    /// The signing key's `kid`, written into every token's header.
    public let keyID: String
    /// The algorithm the key is pinned to.
    public let algorithm: SigningAlgorithm
    private let collection: JWTKeyCollection

    /// Picks the private key `keyID` from a JWKS document, or its only private key when
    /// `keyID` is nil.
    ///
    /// - Parameter keyAlgorithms: algorithms for JWKs without `alg`, as `auth.key_algorithms`.
    public init(
        jwks: some Collection<UInt8>, source: String, keyID: String? = nil,
        keyAlgorithms: [String: SigningAlgorithm] = [:]
    ) async throws(ValidationError) {
        guard case .object(let document)? = JSONCodec.parse(jwks), case .array(let entries)? = document["keys"] else {
            throw ValidationError(path: source, reason: "is not a JWKS ({\"keys\": [...]})")
        }
        var signable: [(JSONWebKey, String)] = []
        var problems: [ValidationError] = []
        for (index, entry) in entries.enumerated() {
            if let keyID, case .object(let fields) = entry, fields["kid"] != .string(keyID) { continue }
            do throws(ValidationError) {
                let jwk = try JSONWebKey(
                    entry, index: index, source: source, allowed: SigningAlgorithm.allCases, keyAlgorithms: keyAlgorithms)
                let path = "\(source) keys[\(index)] (kid '\(jwk.keyID)')"
                guard jwk.canSign else { throw ValidationError(path: path, reason: "has no private key") }
                signable.append((jwk, path))
            } catch {
                problems.append(error)
            }
        }
        guard signable.count == 1, let (jwk, path) = signable.first else {
            if signable.count > 1 {
                let kids = signable.map(\.0.keyID).joined(separator: ", ")
                throw ValidationError(path: source, reason: "has several private keys (\(kids)); choose one by kid")
            }
            if let problem = problems.first { throw problem }
            let what = keyID.map { "no key with kid '\($0)'" } ?? "no private key"
            throw ValidationError(path: source, reason: "has \(what)")
        }
        self.keyID = jwk.keyID
        self.algorithm = jwk.algorithm
        self.collection = try await TokenSigner.collection(for: jwk, path: path)
    }

    /// Reads a JWKS file; see `init(jwks:source:keyID:keyAlgorithms:)`.
    public static func load(
        file: String, keyID: String? = nil, keyAlgorithms: [String: SigningAlgorithm] = [:]
    ) async throws(ValidationError) -> TokenSigner {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError(path: file, reason: "cannot read the key file")
        }
        return try await TokenSigner(jwks: [UInt8](data), source: file, keyID: keyID, keyAlgorithms: keyAlgorithms)
    }

    /// A signed compact JWT with `claims` as its payload and this key's `kid` in the header.
    public func sign(_ claims: [String: JSONValue]) async throws -> String {
        try await collection.sign(JWTClaimSet(claims), kid: JWKIdentifier(string: keyID))
    }

    private static func collection(for jwk: JSONWebKey, path: String) async throws(ValidationError) -> JWTKeyCollection {
        let collection = JWTKeyCollection()
        let kid = JWKIdentifier(string: jwk.keyID)
        do {
            switch jwk.material {
            case .secret(let bytes):
                await collection.add(hmac: HMACKey(from: bytes), digestAlgorithm: .sha256, kid: kid)
            case .rsa(let n, let e, let d?, let p, let q):
                let key =
                    if let p, let q {
                        try Insecure.RSA.PrivateKey(modulus: n, exponent: e, privateExponent: d, prime1: p, prime2: q)
                    } else {
                        try Insecure.RSA.PrivateKey(modulus: n, exponent: e, privateExponent: d)
                    }
                await collection.add(rsa: key, digestAlgorithm: .sha256, kid: kid)
            case .ec(let x, let y, let d?):
                let key = try ES256PrivateKey(key: d)
                guard let parameters = key.parameters, Base64URL.decode(parameters.x) == Base64URL.decode(x),
                    Base64URL.decode(parameters.y) == Base64URL.decode(y)
                else { throw ValidationError(path: path, reason: "d does not belong to x and y") }
                await collection.add(ecdsa: key, kid: kid)
            case .okp(let x, let d?):
                let key = try EdDSA.PrivateKey(d: d, curve: .ed25519)
                guard [UInt8](key.publicKey.rawRepresentation) == Base64URL.decode(x) else {
                    throw ValidationError(path: path, reason: "d does not belong to x")
                }
                await collection.add(eddsa: key, kid: kid)
            case .rsa, .ec, .okp:
                throw ValidationError(path: path, reason: "has no private key")
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError(path: path, reason: "is not a valid \(jwk.algorithm.rawValue) private key (\(error))")
        }
        return collection
    }
}
