import FabricAuth
import FabricCore
import FabricTestSupport
import Foundation
import Testing

@Suite("Development key")
struct DevelopmentKeyTests {
    @Test func createdOnceWithOwnerOnlyPermissionsAndSigns() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/nested/dev-jwks.json"
        #expect(try DevelopmentKey.ensure(at: path))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let contents = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(try !DevelopmentKey.ensure(at: path))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == contents)
        // No temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(directory)/nested") == ["dev-jwks.json"])

        let signer = try await TokenSigner.load(file: path)
        #expect(signer.keyID == DevelopmentKey.keyID)
        #expect(signer.algorithm == .edDSA)
        let config = try Fixture.config()
        let verifier = TokenVerifier(config: config, fileKeys: try await KeySet.load(file: path, config: config))
        let token = try await signer.sign([
            "sub": .string("dev"), "exp": .number(Date().timeIntervalSince1970 + 60),
        ])
        #expect(try await verifier.verify(token).principal == "dev")
    }

    @Test(arguments: SigningAlgorithm.allCases)
    func tokenSignerSignsWithEachPrivateKeyType(algorithm: SigningAlgorithm) async throws {
        let key = try await TestKey.make(algorithm, kid: "k")
        let signer = try await TokenSigner(jwks: TestKey.jwks([try #require(key.privateJWK)]), source: "test")
        #expect(signer.algorithm == algorithm)
        let verifier = try await Fixture.verifier([key])
        #expect(try await verifier.verify(try await signer.sign(Fixture.claims())).principal == "alice")
        // Without p and q (RSA), or for the others as written: the same key signs.
        if algorithm == .rs256, var minimal = key.privateJWK {
            minimal["p"] = nil
            minimal["q"] = nil
            let fromExponent = try await TokenSigner(jwks: TestKey.jwks([minimal]), source: "test")
            #expect(try await verifier.verify(try await fromExponent.sign(Fixture.claims())).principal == "alice")
        }
    }

    @Test func tokenSignerRefusesAPrivateKeyThatIsNotTheJWKsOwn() async throws {
        let key = try await TestKey.make(.edDSA, kid: "k")
        let other = try await TestKey.make(.edDSA, kid: "k")
        var mixed = try #require(key.privateJWK)
        mixed["d"] = other.privateJWK?["d"]
        await #expect(throws: ValidationError(path: "test keys[0] (kid 'k')", reason: "d does not belong to x")) {
            try await TokenSigner(jwks: TestKey.jwks([mixed]), source: "test")
        }
    }

    @Test func tokenSignerRefusesAPublicOnlySet() async throws {
        let key = try await TestKey.make(.edDSA, kid: "k")
        await #expect(throws: ValidationError(path: "test keys[0] (kid 'k')", reason: "has no private key")) {
            try await TokenSigner(jwks: TestKey.jwks([key]), source: "test")
        }
    }
}
