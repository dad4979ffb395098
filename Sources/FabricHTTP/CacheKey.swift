import Crypto
import FabricCore

/// The key of one cached answer: a SHA-256 over the type, the canonical query, the
/// forwarded headers, the claims the rule varies by and their values.
///
/// Hashed because principals and queries are arbitrary text while KV keys must be
/// subject-safe, and so equal keys cannot be forged by choosing a principal that
/// contains the separator. The vary names are part of the material, so an entry shared
/// by everyone (`vary: []`) can never be found under a per-principal key, or the reverse.
/// The forwarded headers (`http.forward_headers`) are always part of it: rules can match
/// them, so the same query with `x-region: us` may be routed and answered apart from
/// `x-region: eu`.
struct CacheKey: Sendable, Hashable, CustomStringConvertible {
    /// 64 lower-case hex digits.
    let digest: String

    /// The key in the `fabric-cache` bucket.
    var bucketKey: String { "q.\(digest)" }

    var description: String { digest }

    /// The key of `type` asked with `query` and the `forwarded` header values, varying by
    /// `vary` of `claims`.
    init(type: String, query: [UInt8], forwarded: [ForwardedHeader] = [], vary: [String], claims: Claims) {
        var hasher = SHA256()
        hasher.update(data: Array("fabric-cache-v2\u{0}".utf8))
        CacheKey.field(type, into: &hasher)
        CacheKey.field(query, into: &hasher)
        CacheKey.field(String(forwarded.count), into: &hasher)
        for header in forwarded.sorted(by: { $0.name < $1.name }) {
            CacheKey.field(header.name, into: &hasher)
            CacheKey.field(header.value, into: &hasher)
        }
        for name in vary.sorted() {
            CacheKey.field(name, into: &hasher)
            CacheKey.field(CacheKey.value(of: name, in: claims), into: &hasher)
        }
        digest = CacheKey.hex(hasher.finalize())
    }

    /// The value a vary name stands for.
    static func value(of name: String, in claims: Claims) -> String {
        switch name {
        case "principal": claims.principal
        case "tenant": claims.tenant ?? ""
        case "roles": claims.roles.sorted().joined(separator: ",")
        default: ""
        }
    }

    /// Length-prefixed, so no choice of strings makes two different field lists hash alike.
    private static func field(_ text: String, into hasher: inout SHA256) {
        field(Array(text.utf8), into: &hasher)
    }

    private static func field(_ bytes: [UInt8], into hasher: inout SHA256) {
        var length = UInt64(bytes.count).bigEndian
        withUnsafeBytes(of: &length) { hasher.update(bufferPointer: $0) }
        hasher.update(data: bytes)
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
