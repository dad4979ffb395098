import FabricAuth
import FabricCore
import FabricTestSupport
import Foundation
import Logging
import Testing

@Suite("fabric token")
struct TokenCommandTests {
    @Test func tokenFromAKeyFileVerifiesWithTheSameConfiguration() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = try await TestKey.make(.edDSA, kid: "signer")
        let keyFile = "\(directory)/keys.json"
        try Data(TestKey.jwks([try #require(key.privateJWK)])).write(to: URL(fileURLWithPath: keyFile))
        let configFile = "\(directory)/fabric.yaml"
        try """
        auth:
          jwks_file: \(keyFile)
          issuer: https://fabric.test
          audience: [edge]
          claims: { principal: email, roles: groups, tenant: org }
        """.write(toFile: configFile, atomically: true, encoding: .utf8)

        let result = try await FabricCommand.run([
            "token", "--config", configFile, "--key", keyFile, "--sub", "a.b@x.com", "--roles", "admin, ops", "--tenant", "acme",
            "--ttl", "10m", "--claim", "plan=premium", "--claim", "level=3", "--claim", "beta=true",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        let token = String(try #require(lines.first))

        let config = try FabricConfig.load(file: configFile, environment: [:]).auth
        let verifier = try await TokenVerifier.load(config: config, logger: Logger(label: "test"))
        let claims = try await verifier.verify(token)
        #expect(claims.principal == "a.b@x.com")
        #expect(claims.roles == ["admin", "ops"])
        #expect(claims.tenant == "acme")
        #expect(
            try claims.other() == [
                "iss": .string("https://fabric.test"), "aud": .string("edge"), "plan": .string("premium"), "level": .number(3),
                "beta": .bool(true),
            ])
    }

    @Test func defaultKeyIsTheDevelopmentKeyCreatedOnce() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let dataDirectory = "\(directory)/data"
        let first = try await FabricCommand.run(["token", "--data-dir", dataDirectory, "--sub", "bob", "--ttl", "5m"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("created the development key"))
        let keyFile = "\(dataDirectory)/dev-jwks.json"
        let keyBytes = try Data(contentsOf: URL(fileURLWithPath: keyFile))

        let second = try await FabricCommand.run(["token", "--data-dir", dataDirectory, "--sub", "carol"])
        #expect(second.status == 0)
        #expect(!second.stderr.contains("created"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: keyFile)) == keyBytes)

        // What `fabric up` would verify with: the same development key.
        let verifier = try await TokenVerifier.load(
            config: FabricConfig.defaults.auth, developmentKey: keyFile, logger: Logger(label: "test"))
        for (result, principal) in [(first, "bob"), (second, "carol")] {
            let token = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try await verifier.verify(token).principal == principal)
        }
    }

    @Test func keyIsChosenByKidAmongSeveral() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let hmac = try await TestKey.make(.hs256, kid: "shared")
        let ed = try await TestKey.make(.edDSA, kid: "ed")
        let keyFile = "\(directory)/keys.json"
        try Data(TestKey.jwks([try #require(hmac.privateJWK), try #require(ed.privateJWK)])).write(
            to: URL(fileURLWithPath: keyFile))

        let ambiguous = try await FabricCommand.run(["token", "--key", keyFile, "--sub", "x"])
        #expect(ambiguous.status != 0)
        #expect(ambiguous.stderr.contains("has several private keys (shared, ed); choose one by kid"))

        let chosen = try await FabricCommand.run(["token", "--key", keyFile, "--kid", "shared", "--sub", "x"])
        #expect(chosen.status == 0, "\(chosen.stderr)")
        let verifier = try await Fixture.verifier([hmac, ed], now: Date())
        let token = chosen.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await verifier.verify(token).principal == "x")
    }

    @Test func badArgumentsAreClearErrors() async throws {
        let ttl = try await FabricCommand.run(["token", "--sub", "x", "--ttl", "soon", "--key", "/nonexistent"])
        #expect(ttl.status != 0)
        #expect(ttl.stderr.contains("--ttl: not a duration"))
        let claim = try await FabricCommand.run(["token", "--sub", "x", "--claim", "novalue", "--key", "/nonexistent"])
        #expect(claim.status != 0)
        #expect(claim.stderr.contains("--claim 'novalue' is not name=value"))
        let key = try await FabricCommand.run(["token", "--sub", "x", "--key", "/nonexistent/keys.json"])
        #expect(key.status != 0)
        #expect(key.stderr.contains("/nonexistent/keys.json: cannot read the key file"))
    }
}
