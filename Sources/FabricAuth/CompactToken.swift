import FabricCore

/// A JWT in compact form, split and with its header read — the checks made before any key
/// is chosen.
///
/// Reading `alg` and `kid` here, rather than letting jwt-kit pick a key from them, is what
/// keeps the token from choosing its own key or algorithm (`docs/auth.md`).
struct CompactToken {
    /// Longest token accepted; real tokens are a few hundred bytes to a few KiB.
    static let maximumLength = 16 * 1024

    /// The token's `alg` header.
    let algorithm: String
    /// The token's `kid` header, when it has one.
    let keyID: String?

    init(_ token: String) throws(AuthError) {
        guard !token.isEmpty else { throw AuthError(.missing, reason: "no token") }
        guard token.utf8.count <= CompactToken.maximumLength else {
            throw AuthError(.malformed, reason: "token longer than \(CompactToken.maximumLength) bytes")
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw AuthError(.malformed, reason: "a JWT has three dot-separated parts, this has \(parts.count)")
        }
        guard !parts[0].isEmpty, !parts[1].isEmpty else { throw AuthError(.malformed, reason: "empty header or payload") }
        guard let headerBytes = Base64URL.decode(parts[0]) else {
            throw AuthError(.malformed, reason: "header is not base64url")
        }
        // The signature is checked by the key; here it only has to be base64url (empty for alg none).
        guard Base64URL.decode(parts[2]) != nil else { throw AuthError(.malformed, reason: "signature is not base64url") }
        guard case .object(let header)? = JSONCodec.parse(headerBytes) else {
            throw AuthError(.malformed, reason: "header is not a JSON object")
        }
        guard case .string(let algorithm)? = header["alg"] else {
            throw AuthError(.malformed, reason: "header has no alg string")
        }
        switch header["kid"] {
        case nil: keyID = nil
        case .string(let kid): keyID = kid
        default: throw AuthError(.malformed, reason: "header kid is not a string")
        }
        // RFC 7515 §4.1.11: extensions marked critical that we do not implement must be refused.
        if header["crit"] != nil { throw AuthError(.malformed, reason: "header has critical extensions (crit)") }
        self.algorithm = algorithm
    }
}
