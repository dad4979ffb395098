import Crypto
import FabricCore
import Foundation

/// An answer kept in the edge cache, with its own expiry (the bucket's max age only
/// bounds them all: nats-server 2.9 has no per-key TTL).
struct CachedAnswer: Sendable, Hashable {
    /// Body.
    var payload: [UInt8]
    /// Media type of the body.
    var contentType: String?
    /// When it was stored, ms since the epoch.
    var created: UInt64
    /// When it stops being served, ms since the epoch.
    var expires: UInt64
    /// The claims it varies by (from the route's `Fabric-Cache`).
    var vary: [String]
    /// Strong validator: a hash of the body and its type, quoted.
    var etag: String

    /// An answer stored now under `policy`.
    init(payload: [UInt8], contentType: String?, policy: CachePolicy, now: UInt64) {
        self.payload = payload
        self.contentType = contentType
        self.created = now
        self.expires = now &+ UInt64(max(0, policy.ttl.milliseconds))
        self.vary = policy.vary
        self.etag = CachedAnswer.etag(payload: payload, contentType: contentType)
    }

    /// True until the entry's own expiry.
    func isFresh(at now: UInt64) -> Bool { now < expires }

    /// Whole seconds since it was stored (`Age`).
    func age(at now: UInt64) -> Int { Int((now &- min(now, created)) / 1000) }

    /// Whole seconds it stays fresh (`Cache-Control: max-age`).
    func maxAge(at now: UInt64) -> Int { Int((expires &- min(expires, now)) / 1000) }

    /// True when an `If-None-Match` value names this answer (`*`, or its tag, weak or not).
    func matches(ifNoneMatch value: String) -> Bool {
        for candidate in value.split(separator: ",") {
            var tag = candidate.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            if tag == etag { return true }
        }
        return false
    }

    static func etag(payload: [UInt8], contentType: String?) -> String {
        var hasher = SHA256()
        hasher.update(data: Array((contentType ?? "").utf8))
        hasher.update(data: [0])
        hasher.update(data: payload)
        return "\"" + CacheKey.hex(hasher.finalize().prefix(16)) + "\""
    }

    // MARK: Stored form

    private struct Meta: Codable {
        var contentType: String?
        var created: UInt64
        var expires: UInt64
        var vary: [String]
        var etag: String
    }

    private static let magic = Array("fc1\n".utf8)

    /// `fc1\n`, one line of JSON metadata, then the body bytes untouched.
    var encoded: [UInt8] {
        let meta = Meta(contentType: contentType, created: created, expires: expires, vary: vary, etag: etag)
        var bytes = CachedAnswer.magic
        bytes += Array((try? JSONEncoder().encode(meta)) ?? Data("{}".utf8))
        bytes.append(UInt8(ascii: "\n"))
        bytes += payload
        return bytes
    }

    /// Reads the stored form; nil for anything else (an entry of another version is a miss).
    init?(encoded bytes: [UInt8]) {
        guard bytes.starts(with: CachedAnswer.magic) else { return nil }
        let rest = bytes[CachedAnswer.magic.count...]
        guard let newline = rest.firstIndex(of: UInt8(ascii: "\n")),
            let meta = try? JSONDecoder().decode(Meta.self, from: Data(rest[..<newline]))
        else { return nil }
        payload = Array(rest[(newline + 1)...])
        contentType = meta.contentType
        created = meta.created
        expires = meta.expires
        vary = meta.vary
        etag = meta.etag
    }
}
