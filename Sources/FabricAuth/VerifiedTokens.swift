import FabricCore
import Foundation
import Synchronization

/// Remembers tokens `TokenVerifier` accepted, for a configured time (`http.token_cache.ttl`,
/// `ws.token_cache.ttl`) and never past the token's own `exp`, so a client's every request
/// or connection does not pay for a signature check (an Ed25519 or RSA verification costs
/// more than the rest of the request path). Shared by every adapter.
///
/// Only acceptances are kept; a refused token is checked again every time, and every
/// refusal is counted. The key is the `Authorization` value itself, kept in memory only.
public final class VerifiedTokens: Sendable {
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

    /// Remembers at most `entries` acceptances (0 turns the cache off), each for at most `ttl`.
    public init(
        verifier: TokenVerifier, entries: Int, ttl: Duration,
        clock: @escaping @Sendable () -> UInt64 = { WallClock.nowMillis() }
    ) {
        self.verifier = verifier
        self.ttl = ttl
        self.clock = clock
        enabled = entries > 0
        self.entries = Mutex(LRUCache(maxEntries: entries, maxCost: entries * 2048))
    }

    /// The claims of the bearer token in `authorization`.
    public func verify(authorization: String?) async throws(AuthError) -> Claims {
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

    /// `exp` of an already verified token (or `Bearer` value), in ms since the epoch.
    public static func expiry(of authorization: String) -> UInt64? {
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
