import FabricAuth
import FabricCore
import Foundation

/// Shared settings of the verifier tests: a fixed clock, a valid claim set, configs from YAML.
enum Fixture {
    /// The verifier's clock in every test that does not say otherwise.
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// Seconds since the epoch of `now` plus `offset`.
    static func at(_ offset: Double) -> JSONValue { .number(now.timeIntervalSince1970 + offset) }

    /// `sub: alice`, valid for an hour from `now`, plus `extra` (`.null` removes a claim).
    static func claims(_ extra: [String: JSONValue] = [:]) -> [String: JSONValue] {
        var claims: [String: JSONValue] = ["sub": .string("alice"), "iat": at(0), "exp": at(3600)]
        for (name, value) in extra {
            if value == .null { claims[name] = nil } else { claims[name] = value }
        }
        return claims
    }

    /// The `auth:` section written as `yaml` (its lines, unindented).
    static func config(_ yaml: String = "") throws -> AuthConfig {
        let indented = yaml.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        return try FabricConfig(reader: ConfigReader.parse(yaml: "auth:\n" + indented + "\n")).auth
    }

    /// A verifier over `keys` (a strict JWKS load) with clock `now`.
    static func verifier(_ keys: [TestKey], yaml: String = "", now: Date = Fixture.now) async throws -> TokenVerifier {
        let config = try config(yaml)
        let set = try await KeySet(jwks: TestKey.jwks(keys), source: "test.jwks", config: config, strict: true)
        return TokenVerifier(config: config, fileKeys: set, now: { now })
    }
}

/// The code `operation` was refused with, or nil when it was accepted.
func refusal(_ operation: () async throws(AuthError) -> Claims) async -> AuthError.Code? {
    do {
        _ = try await operation()
        return nil
    } catch {
        return error.code
    }
}

/// The code `verifier` refused `token` with, or nil when it accepted it.
func refusal(of token: String, by verifier: TokenVerifier) async -> AuthError.Code? {
    await refusal { () async throws(AuthError) -> Claims in try await verifier.verify(token) }
}

/// The code `verifier` refused the `Authorization` value with, or nil when it accepted it.
func refusal(authorization: String?, by verifier: TokenVerifier) async -> AuthError.Code? {
    await refusal { () async throws(AuthError) -> Claims in try await verifier.verify(authorization: authorization) }
}
