import FabricAuth
import FabricConformance
import FabricCore
import Foundation
import Synchronization
import Testing

@Suite("Verified token cache")
struct VerifiedTokensTests {
    /// A clock both the verifier and the cache read, moved by the test.
    final class Clock: Sendable {
        private let offset = Mutex<Double>(0)
        func advance(_ seconds: Double) { offset.withLock { $0 += seconds } }
        var date: Date { Date().addingTimeInterval(offset.withLock { $0 }) }
        var millis: UInt64 { UInt64(date.timeIntervalSince1970 * 1000) }
    }

    @Test func acceptancesAreReusedButNeverPastTheTokensExpiry() async throws {
        let tokens = ConformanceTokens()
        let config = try FabricConfig(reader: ConfigReader.parse(yaml: "auth: { leeway: 0s }")).auth
        let keys = try await KeySet(jwks: Array(tokens.jwks.utf8), source: "test", config: config, strict: true)
        let verifierClock = Clock()
        let cacheClock = Clock()
        let verifier = TokenVerifier(config: config, fileKeys: keys, now: { verifierClock.date })
        let cache = VerifiedTokens(verifier: verifier, entries: 100, ttl: .seconds(3600), clock: { cacheClock.millis })
        var claims = tokens.claims()
        claims["exp"] = .number((Date().timeIntervalSince1970 + 60).rounded(.down))
        let authorization = "Bearer \(tokens.signed(claims))"

        #expect(try await cache.verify(authorization: authorization).principal == "alice")
        // The verifier alone would refuse it now; the remembered acceptance still holds.
        verifierClock.advance(120)
        #expect(try await cache.verify(authorization: authorization).principal == "alice")
        // Past the token's exp the cache does not answer: the verifier does, and refuses.
        cacheClock.advance(61)
        await #expect(throws: AuthError.self) { try await cache.verify(authorization: authorization) }
        // Refusals are never remembered.
        await #expect(throws: AuthError.self) { try await cache.verify(authorization: "Bearer not-a-jwt") }
    }

    @Test func expiryIsReadFromThePayload() {
        let tokens = ConformanceTokens()
        var claims = tokens.claims()
        claims["exp"] = .number(1_800_000_000)
        #expect(VerifiedTokens.expiry(of: "Bearer \(tokens.signed(claims))") == 1_800_000_000_000)
        #expect(VerifiedTokens.expiry(of: "Bearer nonsense") == nil)
    }
}
