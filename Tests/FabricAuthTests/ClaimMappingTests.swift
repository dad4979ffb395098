import FabricAuth
import FabricCore
import Testing

@Suite("Claim mapping")
struct ClaimMappingTests {
    @Test func defaultNamesMapPrincipalRolesTenantAndTheRest() async throws {
        let key = try await TestKey.make(.edDSA, kid: "a")
        let verifier = try await Fixture.verifier([key])
        let token = try await key.sign(
            Fixture.claims([
                "roles": .array([.string("admin"), .string("ops"), .string("admin")]), "tenant": .string("acme"),
                "email": .string("alice@example.com"), "level": .number(3), "iss": .string("idp"),
                "nbf": Fixture.at(-10),
            ]))
        let claims = try await verifier.verify(token)
        #expect(claims.principal == "alice")
        #expect(claims.roles == ["admin", "ops"])
        #expect(claims.tenant == "acme")
        // exp, nbf and iat only served verification; the mapped claims are not repeated.
        #expect(claims.otherJSON == #"{"email":"alice@example.com","iss":"idp","level":3}"#)
        // The token itself is nowhere in what goes on.
        #expect(!(claims.otherJSON ?? "").contains(token.split(separator: ".")[2]))
    }

    @Test func customClaimNames() async throws {
        let key = try await TestKey.make(.es256, kid: "a")
        let verifier = try await Fixture.verifier(
            [key], yaml: "claims: { principal: email, roles: groups, tenant: org }")
        let token = try await key.sign(
            Fixture.claims([
                "email": .string("a.b@x.com"), "groups": .string("readers writers"), "org": .string("o-1"),
                "roles": .array([.string("ignored")]),
            ]))
        let claims = try await verifier.verify(token)
        #expect(claims.principal == "a.b@x.com")
        #expect(claims.roles == ["readers", "writers"])
        #expect(claims.tenant == "o-1")
        // Under custom names, sub and roles are ordinary other claims.
        #expect(try claims.other() == ["sub": .string("alice"), "roles": .array([.string("ignored")])])
    }

    @Test(arguments: [
        (JSONValue.array([.string("a"), .string("b")]), ["a", "b"]),
        (.string("a b"), ["a", "b"]),
        (.string("a,b"), ["a", "b"]),
        (.string(" a, b ,,c "), ["a", "b", "c"]),
        (.string(""), []),
        (.array([]), []),
        (.null, []),
    ])
    func rolesAsArrayOrString(value: JSONValue, expected: [String]) async throws {
        let key = try await TestKey.make(.hs256, kid: "a")
        let verifier = try await Fixture.verifier([key])
        var claims = Fixture.claims()
        claims["roles"] = value
        #expect(try await verifier.verify(try await key.sign(claims)).roles == expected)
    }

    @Test(arguments: [
        ("roles", JSONValue.array([.string("a,b")])),
        ("roles", .array([.number(1)])),
        ("roles", .number(7)),
        ("roles", .array([.string("line\nbreak")])),
        ("sub", .number(42)),
        ("sub", .string("")),
        ("sub", .string("alice\r\nFabric-Roles: admin")),
        ("tenant", .bool(true)),
        ("tenant", .string("")),
    ])
    func claimsTheFabricCannotCarryAreInvalid(name: String, value: JSONValue) async throws {
        let key = try await TestKey.make(.hs256, kid: "a")
        let verifier = try await Fixture.verifier([key])
        var claims = Fixture.claims()
        claims[name] = value
        #expect(await refusal(of: try await key.sign(claims), by: verifier) == .invalidClaim)
    }

    @Test func principalIsAlwaysRequired() async throws {
        let key = try await TestKey.make(.hs256, kid: "a")
        let verifier = try await Fixture.verifier([key])
        #expect(await refusal(of: try await key.sign(Fixture.claims(["sub": .null])), by: verifier) == .missingClaim)
    }

    @Test func requiredClaims() async throws {
        let key = try await TestKey.make(.hs256, kid: "a")
        let verifier = try await Fixture.verifier([key], yaml: "required_claims: [email, scope]")
        let complete = Fixture.claims(["email": .string("a@x"), "scope": .string("read")])
        #expect(try await verifier.verify(try await key.sign(complete)).principal == "alice")
        let partial = Fixture.claims(["email": .string("a@x")])
        #expect(await refusal(of: try await key.sign(partial), by: verifier) == .missingClaim)
    }

    @Test func expiryIsRequiredUnlessConfiguredOtherwise() async throws {
        let key = try await TestKey.make(.hs256, kid: "a")
        let token = try await key.sign(Fixture.claims(["exp": .null]))
        #expect(await refusal(of: token, by: try await Fixture.verifier([key])) == .missingClaim)
        let lenient = try await Fixture.verifier([key], yaml: "require_exp: false")
        #expect(try await lenient.verify(token).principal == "alice")
    }
}
