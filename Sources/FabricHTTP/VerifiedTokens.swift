import FabricAuth
import FabricCore
import Foundation
import Synchronization

/// Remembers tokens `TokenVerifier` accepted, for `http.token_cache.ttl` and never past
/// the token's own `exp`, so a client's every request does not pay for a signature check
/// (an Ed25519 or RSA verification costs more than the rest of the request path).
///
/// Only acceptances are kept; a refused token is checked again every time, and every
/// refusal is counted. The key is the `Authorization` value itself, kept in memory only.
final class VerifiedTokens: Sendable {
    private struct Entry: Sendable {
        let claims: Claims
        let validUntil: UInt64
    }

    /// Longest `Authorization` value kept (FabricAuth refuses tokens over 16 KiB anyway).
    private static let maxKeyBytes = 16 << 10

    private let verifier: TokenVerifier
    private let ttl: Duration
    private let clock: @Sendable () -> UInt64
    private let enabled: Bool
    private let entries: Mutex<LRUCache<Entry>>

    init(verifier: TokenVerifier, config: HTTPConfig.TokenCache, clock: @escaping @Sendable () -> UInt64) {
        self.verifier = verifier
        self.ttl = config.ttl
        self.clock = clock
        enabled = config.entries > 0
        entries = Mutex(LRUCache(maxEntries: config.entries, maxCost: config.entries * 2048))
    }

    /// The claims of the bearer token in `authorization`.
    func verify(authorization: String?) async throws(AuthError) -> Claims {
        guard enabled, let authorization, authorization.utf8.count <= VerifiedTokens.maxKeyBytes else {
            return try await verifier.verify(authorization: authorization)
        }
        let now = clock()
        let known = entries.withLock { lru -> Claims? in
            guard let entry = lru.get(authorization) else { return nil }
            if now < entry.validUntil { return entry.claims }
            lru.remove(authorization)
            return nil
        }
        if let known { return known }
        let claims = try await verifier.verify(authorization: authorization)
        var validUntil = now &+ UInt64(max(0, ttl.milliseconds))
        if let expiry = VerifiedTokens.expiry(of: authorization) { validUntil = min(validUntil, expiry) }
        let entry = Entry(claims: claims, validUntil: validUntil)
        entries.withLock { $0.set(authorization, entry, cost: min(authorization.utf8.count, 2048)) }
        return claims
    }

    /// `exp` of an already verified token, in ms since the epoch.
    static func expiry(of authorization: String) -> UInt64? {
        let parts = authorization.split(separator: ".")
        guard parts.count == 3 else { return nil }
        var text = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text), case .object(let claims)? = JSONCodec.parse(data),
            case .number(let seconds)? = claims["exp"], seconds > 0, seconds < 1e12
        else { return nil }
        return UInt64(seconds * 1000)
    }
}
