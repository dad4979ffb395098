import FabricCore
import Foundation
import JWTKit

/// The development signing key of `fabric up` and `fabric token`: one Ed25519 key with
/// kid `dev`, generated once and kept as a JWKS file (private part included, mode 0600).
///
/// Ed25519 rather than HS256 because the file's public half could be handed to other
/// verifiers without letting them mint tokens, and its tokens are short.
public enum DevelopmentKey {
    /// The key's `kid`.
    public static let keyID = "dev"

    /// Creates the key file at `path` unless it exists; returns true when it was created now.
    @discardableResult
    public static func ensure(at path: String) throws(ValidationError) -> Bool {
        if FileManager.default.fileExists(atPath: path) { return false }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ValidationError(path: path, reason: "cannot create its directory: \(error)")
        }
        let document = Array(try makeJWKS().utf8)
        let temporary = "\(path).\(UUID().uuidString).tmp"
        // Created 0600 from the start: the file holds a private key.
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw failure(path, "cannot write") }
        let written = document.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        defer { unlink(temporary) }
        guard written == document.count else { throw failure(path, "cannot write") }
        // link() never replaces: if another process created the key meanwhile, its key wins.
        if link(temporary, path) != 0 {
            if errno == EEXIST { return false }
            throw failure(path, "cannot create")
        }
        return true
    }

    /// A fresh key as a JWKS document.
    static func makeJWKS() throws(ValidationError) -> String {
        let privateKey: EdDSA.PrivateKey
        do {
            privateKey = try EdDSA.PrivateKey(curve: .ed25519)
        } catch {
            throw ValidationError(path: "development key", reason: "cannot generate an Ed25519 key: \(error)")
        }
        let key: [String: JSONValue] = [
            "kty": .string("OKP"), "crv": .string("Ed25519"), "alg": .string(SigningAlgorithm.edDSA.rawValue),
            "use": .string("sig"), "kid": .string(keyID), "x": .string(Base64URL.encode(privateKey.publicKey.rawRepresentation)),
            "d": .string(Base64URL.encode(privateKey.rawRepresentation)),
        ]
        return JSONCodec.encodeSorted(JSONValue.object(["keys": .array([.object(key)])])) + "\n"
    }

    private static func failure(_ path: String, _ what: String) -> ValidationError {
        ValidationError(path: path, reason: "\(what) the development key: \(String(cString: strerror(errno)))")
    }
}
