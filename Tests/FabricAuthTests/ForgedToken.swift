import Crypto
import FabricCore
import Foundation

/// Tokens built by hand, for what no honest library would sign: `alg: none`, HMAC with an
/// RSA key's public bytes, payloads that are not objects.
enum ForgedToken {
    /// `header.payload.signature` with `sign` computing the signature over `header.payload`.
    static func make(header: [String: JSONValue], payloadJSON: String, sign: ([UInt8]) -> [UInt8]) -> String {
        let input =
            base64URL(Array(JSONCodec.encodeSorted(JSONValue.object(header)).utf8)) + "." + base64URL(Array(payloadJSON.utf8))
        return input + "." + base64URL(sign(Array(input.utf8)))
    }

    /// An unsigned token (`alg: none`, empty signature).
    static func unsigned(_ claims: [String: JSONValue], kid: String? = nil) -> String {
        var header: [String: JSONValue] = ["alg": .string("none"), "typ": .string("JWT")]
        if let kid { header["kid"] = .string(kid) }
        return make(header: header, payloadJSON: JSONCodec.encodeSorted(claims), sign: { _ in [] })
    }

    /// An HS256 token whose HMAC secret is `secret`.
    static func hs256(_ claims: [String: JSONValue], secret: [UInt8], kid: String?) -> String {
        hs256(payloadJSON: JSONCodec.encodeSorted(claims), secret: secret, kid: kid)
    }

    /// An HS256 token over raw payload text.
    static func hs256(payloadJSON: String, secret: [UInt8], kid: String?, extraHeader: [String: JSONValue] = [:]) -> String {
        var header: [String: JSONValue] = ["alg": .string("HS256"), "typ": .string("JWT")]
        if let kid { header["kid"] = .string(kid) }
        header.merge(extraHeader) { $1 }
        return make(header: header, payloadJSON: payloadJSON) { input in
            Array(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: secret)))
        }
    }
}
