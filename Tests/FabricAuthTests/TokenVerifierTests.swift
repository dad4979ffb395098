import FabricAuth
import FabricCore
import Foundation
import JWTKit
import Testing

@Suite("Token verification")
struct TokenVerifierTests {
    @Test(arguments: SigningAlgorithm.allCases)
    func eachKeyTypeIsAcceptedWhenCorrect(algorithm: SigningAlgorithm) async throws {
        let key = try await TestKey.make(algorithm, kid: "k-\(algorithm.rawValue)")
        let verifier = try await Fixture.verifier([key])
        let claims = try await verifier.verify(try await key.sign(Fixture.claims(["roles": .array([.string("admin")])])))
        #expect(claims.principal == "alice")
        #expect(claims.roles == ["admin"])
        #expect(verifier.fileKeys.algorithm(forKeyID: key.kid) == algorithm)
    }

    @Test func missingToken() async throws {
        let verifier = try await Fixture.verifier([try await TestKey.make(.hs256, kid: "a")])
        #expect(await refusal(of: "", by: verifier) == .missing)
        #expect(await refusal(authorization: nil, by: verifier) == .missing)
        #expect(await refusal(authorization: "  ", by: verifier) == .missing)
    }

    @Test func malformedTokens() async throws {
        let key = try await TestKey.make(.hs256, kid: "a")
        let verifier = try await Fixture.verifier([key])
        let secret = try #require(Self.secret(of: key))
        let valid = try await key.sign(Fixture.claims())
        let parts = valid.split(separator: ".").map(String.init)
        let cases: [String] = [
            "abc", "a.b", "a.b.c.d", "\(parts[0]).\(parts[1])", "!!!.\(parts[1]).\(parts[2])",
            "\(base64URL(Array("not json".utf8))).\(parts[1]).\(parts[2])",
            "\(base64URL(Array("{\"typ\":\"JWT\"}".utf8))).\(parts[1]).\(parts[2])",
            "\(base64URL(Array("{\"alg\":\"HS256\",\"kid\":7}".utf8))).\(parts[1]).\(parts[2])",
            "\(parts[0]).\(parts[1]).sig*nature", String(repeating: "a", count: 20_000),
            // Correctly signed, but the payload is not a JSON object.
            ForgedToken.hs256(payloadJSON: "[1,2]", secret: secret, kid: "a"),
            // Critical header extensions are refused, not ignored.
            ForgedToken.hs256(
                payloadJSON: JSONCodec.encodeSorted(Fixture.claims()), secret: secret, kid: "a",
                extraHeader: ["crit": .array([.string("exp")])]),
        ]
        for token in cases {
            #expect(await refusal(of: token, by: verifier) == .malformed, "\(token.prefix(60))")
        }
        // The same secret and header without crit is fine: the cases above fail for their flaw.
        let honest = ForgedToken.hs256(payloadJSON: JSONCodec.encodeSorted(Fixture.claims()), secret: secret, kid: "a")
        #expect(try await verifier.verify(honest).principal == "alice")
    }

    @Test func expiredAndWithinLeeway() async throws {
        let key = try await TestKey.make(.edDSA, kid: "a")
        let verifier = try await Fixture.verifier([key], yaml: "leeway: 30s")
        #expect(await refusal(of: try await key.sign(Fixture.claims(["exp": Fixture.at(-31)])), by: verifier) == .expired)
        #expect(await refusal(of: try await key.sign(Fixture.claims(["exp": Fixture.at(-30)])), by: verifier) == .expired)
        let late = try await verifier.verify(try await key.sign(Fixture.claims(["exp": Fixture.at(-29)])))
        #expect(late.principal == "alice")

        let strict = try await Fixture.verifier([key], yaml: "leeway: 0s")
        #expect(await refusal(of: try await key.sign(Fixture.claims(["exp": Fixture.at(-1)])), by: strict) == .expired)
    }

    @Test func notYetValidAndWithinLeeway() async throws {
        let key = try await TestKey.make(.edDSA, kid: "a")
        let verifier = try await Fixture.verifier([key])  // default leeway 30s
        #expect(
            await refusal(of: try await key.sign(Fixture.claims(["nbf": Fixture.at(31)])), by: verifier)
                == .notYetValid)
        #expect(try await verifier.verify(try await key.sign(Fixture.claims(["nbf": Fixture.at(30)]))).principal == "alice")
        #expect(try await verifier.verify(try await key.sign(Fixture.claims(["nbf": Fixture.at(-5)]))).principal == "alice")
    }

    @Test func timeClaimsMustBeNumbers() async throws {
        let key = try await TestKey.make(.edDSA, kid: "a")
        let verifier = try await Fixture.verifier([key])
        for name in ["exp", "nbf", "iat"] {
            let token = try await key.sign(Fixture.claims([name: .string("tomorrow")]))
            #expect(await refusal(of: token, by: verifier) == .invalidClaim, "\(name)")
        }
    }

    @Test func wrongIssuer() async throws {
        let key = try await TestKey.make(.es256, kid: "a")
        let verifier = try await Fixture.verifier([key], yaml: "issuer: https://idp.example")
        let right = try await key.sign(Fixture.claims(["iss": .string("https://idp.example")]))
        #expect(try await verifier.verify(right).principal == "alice")
        let wrong = try await key.sign(Fixture.claims(["iss": .string("https://evil.example")]))
        #expect(await refusal(of: wrong, by: verifier) == .wrongIssuer)
        let absent = try await key.sign(Fixture.claims())
        #expect(await refusal(of: absent, by: verifier) == .wrongIssuer)
    }

    @Test func wrongAudience() async throws {
        let key = try await TestKey.make(.es256, kid: "a")
        let verifier = try await Fixture.verifier([key], yaml: "audience: [fabric, edge]")
        for accepted: JSONValue in [.string("edge"), .array([.string("other"), .string("fabric")])] {
            #expect(try await verifier.verify(try await key.sign(Fixture.claims(["aud": accepted]))).principal == "alice")
        }
        for refused: JSONValue in [.string("other"), .array([.string("x"), .string("y")]), .number(1), .null] {
            let token = try await key.sign(Fixture.claims(["aud": refused]))
            #expect(await refusal(of: token, by: verifier) == .wrongAudience, "\(refused)")
        }
    }

    @Test func unknownKidIsRefusedNotFallenBackFrom() async throws {
        let key = try await TestKey.make(.rs256, kid: "a")
        let verifier = try await Fixture.verifier([key])
        // Signed by our only key, but the header names a kid we do not have: jwt-kit would
        // fall back to its default key and accept it.
        let token = try await key.sign(Fixture.claims(), headerKeyID: .other("rotated-away"))
        #expect(await refusal(of: token, by: verifier) == .unknownKey)
    }

    @Test func tokenWithoutKidNeedsASingleKey() async throws {
        let a = try await TestKey.make(.edDSA, kid: "a")
        let b = try await TestKey.make(.edDSA, kid: "b")
        let token = try await a.sign(Fixture.claims(), headerKeyID: .absent)
        let single = try await Fixture.verifier([a])
        #expect(try await single.verify(token).principal == "alice")
        let two = try await Fixture.verifier([a, b])
        #expect(await refusal(of: token, by: two) == .unknownKey)
    }

    @Test func algNoneIsAlwaysRefused() async throws {
        let key = try await TestKey.make(.hs256, kid: "a")
        let verifier = try await Fixture.verifier([key])
        for kid in ["a", nil, "unknown"] as [String?] {
            let token = ForgedToken.unsigned(Fixture.claims(), kid: kid)
            #expect(await refusal(of: token, by: verifier) == .algorithmNotAllowed, "kid \(kid ?? "none")")
        }
        let spelledOtherwise = ForgedToken.make(
            header: ["alg": .string("None"), "kid": .string("a")], payloadJSON: JSONCodec.encodeSorted(Fixture.claims()),
            sign: { _ in [] })
        #expect(await refusal(of: spelledOtherwise, by: verifier) == .algorithmNotAllowed)
    }

    @Test func hs256SignedWithTheRSAPublicKeyIsRefused() async throws {
        let key = try await TestKey.make(.rs256, kid: "rsa")
        let verifier = try await Fixture.verifier([key])
        let publicPEM = try Insecure.RSA.PrivateKey(backing: TestKey.rsaPrivateKey).publicKey.pemRepresentation
        let publicDER = try Insecure.RSA.PrivateKey(backing: TestKey.rsaPrivateKey).publicKey.derRepresentation
        for secret in [Array(publicPEM.utf8), Array(publicDER)] {
            for kid in ["rsa", nil] as [String?] {
                let token = ForgedToken.hs256(Fixture.claims(), secret: secret, kid: kid)
                #expect(await refusal(of: token, by: verifier) == .algorithmNotAllowed)
            }
        }
    }

    @Test func algorithmOutsideTheAllowedListIsRefused() async throws {
        let key = try await TestKey.make(.hs256, kid: "a")
        let verifier = try await Fixture.verifier([key], yaml: "allowed_algorithms: [HS256]")
        #expect(try await verifier.verify(try await key.sign(Fixture.claims())).principal == "alice")
        let rs384 = ForgedToken.make(
            header: ["alg": .string("RS384"), "kid": .string("a")], payloadJSON: JSONCodec.encodeSorted(Fixture.claims()),
            sign: { _ in [1, 2, 3] })
        #expect(await refusal(of: rs384, by: verifier) == .algorithmNotAllowed)
        let edKey = try await TestKey.make(.edDSA, kid: "a")
        // An allowed-elsewhere algorithm on a key pinned to HS256.
        let wide = try await Fixture.verifier([key])
        #expect(await refusal(of: try await edKey.sign(Fixture.claims()), by: wide) == .algorithmNotAllowed)
    }

    @Test func badSignature() async throws {
        let key = try await TestKey.make(.es256, kid: "a")
        let impostor = try await TestKey.make(.es256, kid: "a")
        let verifier = try await Fixture.verifier([key])
        #expect(await refusal(of: try await impostor.sign(Fixture.claims()), by: verifier) == .badSignature)

        // A changed payload under the original signature.
        let parts = try await key.sign(Fixture.claims()).split(separator: ".").map(String.init)
        let tampered = base64URL(Array(JSONCodec.encodeSorted(Fixture.claims(["sub": .string("mallory")])).utf8))
        #expect(await refusal(of: "\(parts[0]).\(tampered).\(parts[2])", by: verifier) == .badSignature)
        #expect(await refusal(of: "\(parts[0]).\(parts[1]).", by: verifier) == .badSignature)
    }

    @Test func forgedTokensAreBadSignaturesEvenWhenExpired() async throws {
        let key = try await TestKey.make(.edDSA, kid: "a")
        let impostor = try await TestKey.make(.edDSA, kid: "a")
        let verifier = try await Fixture.verifier([key])
        let token = try await impostor.sign(Fixture.claims(["exp": Fixture.at(-3600)]))
        #expect(await refusal(of: token, by: verifier) == .badSignature)
    }

    @Test func bearerHeaderIsVerified() async throws {
        let key = try await TestKey.make(.hs256, kid: "a")
        let verifier = try await Fixture.verifier([key])
        let token = try await key.sign(Fixture.claims())
        #expect(try await verifier.verify(authorization: "Bearer \(token)").principal == "alice")
        #expect(await refusal(authorization: "Basic \(token)", by: verifier) == .malformed)
    }

    /// The HMAC secret of an HS256 test key.
    static func secret(of key: TestKey) -> [UInt8]? {
        guard case .string(let k)? = key.publicJWK["k"] else { return nil }
        var text = k.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return Data(base64Encoded: text).map(Array.init)
    }
}
