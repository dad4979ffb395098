import FabricAuth
import FabricCore
import Testing

@Suite("Key sets")
struct KeySetTests {
    func load(_ objects: [[String: JSONValue]], yaml: String = "", strict: Bool = true) async throws(ValidationError) -> KeySet {
        let config: AuthConfig
        do { config = try Fixture.config(yaml) } catch { throw ValidationError(path: "test", reason: "bad fixture") }
        return try await KeySet(jwks: TestKey.jwks(objects), source: "keys.json", config: config, strict: strict)
    }

    func loadError(_ objects: [[String: JSONValue]], yaml: String = "") async -> String? {
        do {
            _ = try await load(objects, yaml: yaml)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func jwkWithoutAlgIsRefusedAtLoad() async throws {
        let key = try await TestKey.make(.rs256, kid: "legacy")
        let message = try #require(await loadError([key.publicJWKWithoutAlgorithm]))
        #expect(message == "keys.json keys[0] (kid 'legacy'): has no alg; name its algorithm in auth.key_algorithms")
    }

    @Test func jwkWithoutAlgTakesTheConfiguredAlgorithm() async throws {
        let key = try await TestKey.make(.rs256, kid: "legacy")
        let byKid = try await load([key.publicJWKWithoutAlgorithm], yaml: "key_algorithms: { legacy: RS256 }")
        #expect(byKid.algorithm(forKeyID: "legacy") == .rs256)
        let byWildcard = try await load([key.publicJWKWithoutAlgorithm], yaml: "key_algorithms: { \"*\": RS256 }")
        #expect(byWildcard.algorithm(forKeyID: "legacy") == .rs256)

        // And it verifies RS256 tokens but nothing else.
        let config = try Fixture.config("key_algorithms: { legacy: RS256 }")
        let verifier = TokenVerifier(config: config, fileKeys: byKid, now: { Fixture.now })
        #expect(try await verifier.verify(try await key.sign(Fixture.claims())).principal == "alice")
        let hs = ForgedToken.hs256(Fixture.claims(), secret: Array("secret-secret-secret-secret-1234".utf8), kid: "legacy")
        #expect(await refusal(of: hs, by: verifier) == .algorithmNotAllowed)
    }

    @Test func configuredAlgorithmMustFitTheKeyType() async throws {
        let key = try await TestKey.make(.rs256, kid: "legacy")
        let message = await loadError([key.publicJWKWithoutAlgorithm], yaml: "key_algorithms: { \"*\": ES256 }")
        #expect(message == "keys.json keys[0] (kid 'legacy'): kty RSA cannot be used with ES256")
    }

    @Test func jwkAlgContradictingTheConfigurationIsRefused() async throws {
        let key = try await TestKey.make(.es256, kid: "k")
        let message = await loadError([key.publicJWK], yaml: "key_algorithms: { k: RS256 }")
        #expect(message == "keys.json keys[0] (kid 'k'): alg ES256 contradicts auth.key_algorithms (RS256)")
        // The wildcard only fills in for keys without alg.
        #expect(try await load([key.publicJWK], yaml: "key_algorithms: { \"*\": RS256 }").algorithm(forKeyID: "k") == .es256)
    }

    @Test func keysOutsideAllowedAlgorithmsAreRefused() async throws {
        let key = try await TestKey.make(.hs256, kid: "h")
        let message = await loadError([key.publicJWK], yaml: "allowed_algorithms: [RS256, EdDSA]")
        #expect(message == "keys.json keys[0] (kid 'h'): HS256 is not in auth.allowed_algorithms")
    }

    @Test(
        arguments: [
            (
                ["kid": "a", "kty": "oct", "alg": "HS256", "k": "c2hvcnQ"],
                "keys.json keys[0] (kid 'a'): k must be at least 256 bits for HS256"
            ),
            (
                ["kty": "oct", "alg": "HS256", "k": "c2hvcnQ"],
                "keys.json keys[0]: has no kid (every key needs one to be chosen by)"
            ),
            (["kid": "a", "kty": "oct", "alg": "none"], "keys.json keys[0] (kid 'a'): alg 'none' is not supported"),
            (
                ["kid": "a", "kty": "RSA", "alg": "RS384", "n": "AQAB", "e": "AQAB"],
                "keys.json keys[0] (kid 'a'): alg 'RS384' is not supported"
            ),
            (
                ["kid": "a", "kty": "RSA", "alg": "RS256", "n": "AQAB", "e": "AQAB"],
                "keys.json keys[0] (kid 'a'): n is shorter than 2048 bits"
            ),
            (
                ["kid": "a", "kty": "EC", "alg": "ES256", "crv": "P-384", "x": "AA", "y": "AA"],
                "keys.json keys[0] (kid 'a'): crv is P-384, ES256 needs P-256"
            ),
            (
                ["kid": "a", "kty": "OKP", "alg": "EdDSA", "crv": "Ed25519", "x": "AAAA"],
                "keys.json keys[0] (kid 'a'): x must be 32 bytes, is 3"
            ),
            (
                ["kid": "a", "kty": "OKP", "alg": "EdDSA", "crv": "Ed25519", "use": "enc", "x": "AAAA"],
                "keys.json keys[0] (kid 'a'): use is 'enc', not 'sig'"
            ),
        ] as [([String: String], String)])
    func badKeysAreRefusedWithTheirReason(fields: [String: String], message: String) async {
        #expect(await loadError([fields.mapValues(JSONValue.string)]) == message)
    }

    @Test func duplicateKidIsRefused() async throws {
        let a = try await TestKey.make(.edDSA, kid: "same")
        let b = try await TestKey.make(.edDSA, kid: "same")
        #expect(await loadError([a.publicJWK, b.publicJWK]) == "keys.json keys[1] (kid 'same'): kid appears twice")
    }

    @Test func lenientLoadLeavesBadKeysOut() async throws {
        let good = try await TestKey.make(.edDSA, kid: "good")
        let untagged = try await TestKey.make(.rs256, kid: "untagged")
        let set = try await load([good.publicJWK, untagged.publicJWKWithoutAlgorithm], strict: false)
        #expect(set.keyIDs == ["good"])
        #expect(
            set.refused.map(\.description) == [
                "keys.json keys[1] (kid 'untagged'): has no alg; name its algorithm in auth.key_algorithms"
            ])
    }

    @Test func aSetWithNoUsableKeyIsRefusedEvenLeniently() async throws {
        let untagged = try await TestKey.make(.rs256, kid: "untagged")
        await #expect(throws: ValidationError.self) { try await load([untagged.publicJWKWithoutAlgorithm], strict: false) }
        await #expect(throws: ValidationError.self) { try await load([], strict: false) }
    }

    @Test func notAJWKS() async throws {
        let config = try Fixture.config()
        for text in ["[]", "{\"keys\": 5}", "nope"] {
            await #expect(throws: ValidationError.self) {
                try await KeySet(jwks: Array(text.utf8), source: "x", config: config, strict: true)
            }
        }
    }
}
