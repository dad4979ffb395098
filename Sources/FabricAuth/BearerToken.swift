/// Reads the token out of an HTTP `Authorization` header value (`Bearer <token>`).
public enum BearerToken {
    /// The token of `Bearer <token>`; the scheme is case-insensitive (RFC 7235).
    ///
    /// No header, or an empty one, is `missing`; another scheme, no token, or a token
    /// with characters outside RFC 6750's `b64token` is `malformed`.
    public static func extract(fromAuthorization value: String?) throws(AuthError) -> String {
        guard let value else { throw AuthError(.missing, reason: "no Authorization header") }
        let trimmed = value.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()
        let text = String(trimmed)
        guard !text.isEmpty else { throw AuthError(.missing, reason: "empty Authorization header") }
        guard let space = text.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
            if text.lowercased() == "bearer" { throw AuthError(.malformed, reason: "Bearer without a token") }
            throw AuthError(.malformed, reason: "Authorization is not 'Bearer <token>'")
        }
        guard text[..<space].lowercased() == "bearer" else {
            throw AuthError(.malformed, reason: "Authorization scheme is not Bearer")
        }
        let token = text[space...].drop { $0 == " " || $0 == "\t" }
        guard !token.isEmpty else { throw AuthError(.malformed, reason: "Bearer without a token") }
        guard token.utf8.allSatisfy(isToken68) else {
            throw AuthError(.malformed, reason: "the bearer token has characters a token cannot have")
        }
        return String(token)
    }

    /// RFC 6750 b64token: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" / "=".
    private static func isToken68(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"),
            UInt8(ascii: "="):
            return true
        default:
            return false
        }
    }
}
