import AsyncHTTPClient
import FabricCore
import Foundation
import Logging
import Metrics

/// Verifies JWTs and turns them into `Claims`; the token itself goes no further.
///
/// The order of checks is what keeps jwt-kit's two fallbacks out of reach: the header's
/// `alg` must be allowed, the `kid` must name one of our keys (no default key), and the
/// key must be pinned to that same `alg` — all before jwt-kit checks the signature with
/// that one key. Claims are checked only after the signature, so a forged token is always
/// `bad_signature`, never `expired`. Every outcome is counted in
/// `fabric_auth_tokens_total{result}`.
public struct TokenVerifier: Sendable {
    /// The rules.
    public let config: AuthConfig
    /// Keys from the JWKS file (or the development key).
    public let fileKeys: KeySet
    /// Keys from the JWKS URL, when configured; run it as a service to refresh it.
    public let remote: RemoteKeySet?
    private let rules: ClaimRules
    private let now: @Sendable () -> Date
    private let outcomes: [String: Counter]

    /// Creates a verifier over already loaded keys.
    ///
    /// - Parameter now: the clock `exp` and `nbf` are checked against.
    public init(
        config: AuthConfig, fileKeys: KeySet, remote: RemoteKeySet? = nil, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.config = config
        self.fileKeys = fileKeys
        self.remote = remote
        self.rules = ClaimRules(config: config)
        self.now = now
        var outcomes: [String: Counter] = [:]
        for label in ["ok"] + AuthError.Code.allCases.map(\.description) {
            outcomes[label] = Counter(label: "fabric_auth_tokens_total", dimensions: [("result", label)])
        }
        self.outcomes = outcomes
    }

    /// Loads the keys `config` names: the JWKS file, then the JWKS URL (fetched once now).
    ///
    /// With neither configured, `developmentKey` (created when absent) is used; without
    /// one either, that is a configuration error.
    public static func load(
        config: AuthConfig, developmentKey: String? = nil, httpClient: HTTPClient = .shared, logger: Logger
    ) async throws -> TokenVerifier {
        var fileKeys = KeySet.empty
        if let file = config.jwksFile {
            fileKeys = try await KeySet.load(file: file, config: config)
        } else if config.jwksURL == nil {
            guard let developmentKey else {
                throw ValidationError(path: "auth", reason: "needs jwks_file or jwks_url")
            }
            if try DevelopmentKey.ensure(at: developmentKey) {
                logger.notice("created a development signing key", metadata: ["file": "\(developmentKey)"])
            }
            fileKeys = try await KeySet.load(file: developmentKey, config: config)
        }
        var remote: RemoteKeySet?
        if let url = config.jwksURL {
            let keys = RemoteKeySet(url: url, config: config, httpClient: httpClient, logger: logger)
            try await keys.refresh()
            remote = keys
        }
        return TokenVerifier(config: config, fileKeys: fileKeys, remote: remote)
    }

    /// Verifies `token` and returns its claims.
    public func verify(_ token: String) async throws(AuthError) -> Claims {
        do {
            let claims = try await check(token)
            outcomes["ok"]?.increment()
            return claims
        } catch {
            outcomes[error.code.description]?.increment()
            throw error
        }
    }

    /// Verifies the bearer token of an HTTP `Authorization` header value.
    public func verify(authorization: String?) async throws(AuthError) -> Claims {
        let token: String
        do {
            token = try BearerToken.extract(fromAuthorization: authorization)
        } catch {
            outcomes[error.code.description]?.increment()
            throw error
        }
        return try await verify(token)
    }

    private func check(_ token: String) async throws(AuthError) -> Claims {
        let header = try CompactToken(token)
        guard let algorithm = SigningAlgorithm(name: header.algorithm), config.allowedAlgorithms.contains(algorithm) else {
            throw AuthError(.algorithmNotAllowed, reason: "alg '\(AuthError.shown(header.algorithm))' is not allowed")
        }
        let key = try await key(for: header.keyID)
        // The key, not the token, says how it is used: an HS256 token aimed at an RSA key
        // (its public bytes as an HMAC secret) stops here.
        guard key.algorithm == algorithm else {
            throw AuthError(
                .algorithmNotAllowed,
                reason: "key '\(key.keyID)' is pinned to \(key.algorithm.rawValue), the token says \(algorithm.rawValue)")
        }
        let payload = try await key.verifySignature(of: token)
        return try rules.claims(from: payload, now: now())
    }

    private func key(for kid: String?) async throws(AuthError) -> VerificationKey {
        let remoteKeys = await remote?.keys ?? .empty
        guard let kid else {
            // Without a kid the choice is unambiguous only when there is one key in all.
            if fileKeys.count + remoteKeys.count == 1, let only = fileKeys.soleKey ?? remoteKeys.soleKey { return only }
            throw AuthError(.unknownKey, reason: "token has no kid and there are \(fileKeys.count + remoteKeys.count) keys")
        }
        if let key = fileKeys.key(kid) ?? remoteKeys.key(kid) { return key }
        if let remote, let key = await remote.keys(afterUnknown: kid).key(kid) { return key }
        throw AuthError(.unknownKey, reason: "no key has kid '\(AuthError.shown(kid))'")
    }
}
