import FabricCore

/// One JWK of a key set, checked and pinned to exactly one algorithm.
///
/// Parsed here rather than by jwt-kit's `JWK`, which has no `oct` (HMAC) keys and, for a
/// JWK without `alg`, uses whatever `alg` the token claims.
struct JSONWebKey: Sendable {
    /// Key material, public parts always, private parts when the JWK has them.
    enum Material: Sendable {
        /// Shared HMAC secret (`k`).
        case secret([UInt8])
        /// RSA modulus and exponent; private exponent and primes for signing.
        case rsa(n: String, e: String, d: String?, p: String?, q: String?)
        /// P-256 point; private scalar for signing.
        case ec(x: String, y: String, d: String?)
        /// Ed25519 public key; private seed for signing.
        case okp(x: String, d: String?)
    }

    /// The key's `kid`.
    let keyID: String
    /// The one algorithm this key verifies (or signs) with.
    let algorithm: SigningAlgorithm
    /// The key itself.
    let material: Material

    /// True when the JWK holds what signing needs.
    var canSign: Bool {
        switch material {
        case .secret: return true
        case .rsa(_, _, let d, _, _), .ec(_, _, let d), .okp(_, let d): return d != nil
        }
    }

    /// Reads the JWK at `index` of a set read from `source`.
    ///
    /// - Parameters:
    ///   - allowed: algorithms a key may be pinned to.
    ///   - keyAlgorithms: `auth.key_algorithms`: by kid, `*` for any kid, used for JWKs without `alg`.
    init(
        _ value: JSONValue, index: Int, source: String, allowed: [SigningAlgorithm],
        keyAlgorithms: [String: SigningAlgorithm]
    ) throws(ValidationError) {
        guard case .object(let fields) = value else {
            throw ValidationError(path: "\(source) keys[\(index)]", reason: "is not a JSON object")
        }
        guard case .string(let kid)? = fields["kid"], !kid.isEmpty else {
            throw ValidationError(path: "\(source) keys[\(index)]", reason: "has no kid (every key needs one to be chosen by)")
        }
        let path = "\(source) keys[\(index)] (kid '\(kid)')"
        func string(_ name: String) throws(ValidationError) -> String? {
            switch fields[name] {
            case nil: return nil
            case .string(let text): return text
            default: throw ValidationError(path: path, reason: "\(name) is not a string")
            }
        }
        if let use = try string("use"), use != "sig" {
            throw ValidationError(path: path, reason: "use is '\(use)', not 'sig'")
        }
        guard let keyType = try string("kty") else { throw ValidationError(path: path, reason: "has no kty") }

        let algorithm: SigningAlgorithm
        if let name = try string("alg") {
            guard let named = SigningAlgorithm(name: name) else {
                throw ValidationError(path: path, reason: "alg '\(name)' is not supported")
            }
            // `*` only fills in for keys without alg; a kid named on purpose must agree.
            if let pinned = keyAlgorithms[kid], pinned != named {
                throw ValidationError(path: path, reason: "alg \(name) contradicts auth.key_algorithms (\(pinned.rawValue))")
            }
            algorithm = named
        } else {
            // jwt-kit would take the token's alg for such a key; the configuration must say instead.
            guard let pinned = keyAlgorithms[kid] ?? keyAlgorithms["*"] else {
                throw ValidationError(path: path, reason: "has no alg; name its algorithm in auth.key_algorithms")
            }
            algorithm = pinned
        }
        guard allowed.contains(algorithm) else {
            throw ValidationError(path: path, reason: "\(algorithm.rawValue) is not in auth.allowed_algorithms")
        }
        guard keyType == algorithm.keyType else {
            throw ValidationError(path: path, reason: "kty \(keyType) cannot be used with \(algorithm.rawValue)")
        }

        func required(_ name: String, bytes: Int? = nil, atLeast: Int? = nil) throws(ValidationError) -> String {
            guard let text = try string(name) else { throw ValidationError(path: path, reason: "has no \(name)") }
            guard let decoded = Base64URL.decode(text) else {
                throw ValidationError(path: path, reason: "\(name) is not base64url")
            }
            if let bytes, decoded.count != bytes {
                throw ValidationError(path: path, reason: "\(name) must be \(bytes) bytes, is \(decoded.count)")
            }
            if let atLeast, decoded.drop(while: { $0 == 0 }).count < atLeast {
                throw ValidationError(path: path, reason: "\(name) is shorter than \(atLeast * 8) bits")
            }
            return text
        }
        func optional(_ name: String) throws(ValidationError) -> String? {
            guard fields[name] != nil else { return nil }
            return try required(name)
        }
        func curve(_ expected: String) throws(ValidationError) {
            let crv = try string("crv")
            guard crv == expected else {
                throw ValidationError(path: path, reason: "crv is \(crv ?? "missing"), \(algorithm.rawValue) needs \(expected)")
            }
        }

        switch algorithm {
        case .hs256:
            // RFC 7518 §3.2: an HS256 key must be at least as long as the hash.
            let secret = try required("k")
            guard let bytes = Base64URL.decode(secret), bytes.count >= 32 else {
                throw ValidationError(path: path, reason: "k must be at least 256 bits for HS256")
            }
            material = .secret(bytes)
        case .rs256:
            material = .rsa(
                n: try required("n", atLeast: 256), e: try required("e"), d: try optional("d"), p: try optional("p"),
                q: try optional("q"))
        case .es256:
            try curve("P-256")
            material = .ec(x: try required("x", bytes: 32), y: try required("y", bytes: 32), d: try optional("d"))
        case .edDSA:
            try curve("Ed25519")
            material = .okp(x: try required("x", bytes: 32), d: try optional("d"))
        }
        self.keyID = kid
        self.algorithm = algorithm
    }
}
