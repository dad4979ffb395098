import FabricCore
import JWTKit

/// One verification key, pinned to one algorithm, inside a jwt-kit collection that holds
/// nothing else.
///
/// A collection of one cannot fall back to another key, whatever `kid` jwt-kit reads: the
/// key was chosen by `TokenVerifier` before jwt-kit sees the token.
struct VerificationKey: Sendable {
    /// The key's `kid`.
    let keyID: String
    /// The only algorithm this key verifies.
    let algorithm: SigningAlgorithm
    private let collection: JWTKeyCollection

    /// Builds the public half of `jwk` (for HS256, the shared secret).
    init(_ jwk: JSONWebKey, path: String) async throws(ValidationError) {
        keyID = jwk.keyID
        algorithm = jwk.algorithm
        let collection = JWTKeyCollection()
        let kid = JWKIdentifier(string: jwk.keyID)
        do {
            switch jwk.material {
            case .secret(let bytes):
                await collection.add(hmac: HMACKey(from: bytes), digestAlgorithm: .sha256, kid: kid)
            case .rsa(let n, let e, _, _, _):
                await collection.add(
                    rsa: try Insecure.RSA.PublicKey(modulus: n, exponent: e), digestAlgorithm: .sha256, kid: kid)
            case .ec(let x, let y, _):
                await collection.add(ecdsa: try ES256PublicKey(parameters: (x, y)), kid: kid)
            case .okp(let x, _):
                await collection.add(eddsa: try EdDSA.PublicKey(x: x, curve: .ed25519), kid: kid)
            }
        } catch {
            throw ValidationError(path: path, reason: "is not a valid \(jwk.algorithm.rawValue) key (\(error))")
        }
        self.collection = collection
    }

    /// Checks the signature and returns the payload's members; claims are not checked here.
    func verifySignature(of token: String) async throws(AuthError) -> [String: JSONValue] {
        do {
            return try await collection.verify(token, as: JWTClaimSet.self).members
        } catch let error as JWTError where error.errorType == .malformedToken {
            throw AuthError(.malformed, reason: "payload is not a JSON object")
        } catch {
            throw AuthError(.badSignature, reason: "signature does not verify with key '\(keyID)'")
        }
    }
}
