import FabricAuth
import Testing

@Suite("Bearer token")
struct BearerTokenTests {
    @Test(arguments: ["Bearer abc.def.ghi", "bearer abc.def.ghi", "BEARER   abc.def.ghi", " Bearer\tabc.def.ghi  "])
    func extractsTheToken(header: String) throws {
        #expect(try BearerToken.extract(fromAuthorization: header) == "abc.def.ghi")
    }

    @Test(arguments: [nil, "", "   "] as [String?])
    func absentIsMissing(header: String?) {
        #expect(throws: AuthError(.missing, reason: header == nil ? "no Authorization header" : "empty Authorization header")) {
            try BearerToken.extract(fromAuthorization: header)
        }
    }

    @Test(arguments: ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "Bearerabc", "Bearer a b", "Bearer a\"b", "Token abc"])
    func otherShapesAreMalformed(header: String) {
        do {
            _ = try BearerToken.extract(fromAuthorization: header)
            Issue.record("accepted \(header)")
        } catch {
            #expect(error.code == .malformed)
            #expect(error.code.description == "malformed")
        }
    }

    @Test func reasonWordsAreStable() {
        #expect(
            AuthError.Code.allCases.map(\.description) == [
                "missing", "malformed", "expired", "not_yet_valid", "wrong_issuer", "wrong_audience", "unknown_key",
                "algorithm_not_allowed", "bad_signature", "missing_claim", "invalid_claim",
            ])
    }
}
