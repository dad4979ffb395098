import FabricCore
import PropertyBased
import Testing

@Suite("Subject tokens")
struct SubjectTokenTests {
    static let hostile = [
        "", " ", "a.b@x.com", "*", ">", "a.*.>", "tab\there", "new\nline", "~", "~~", "~_", "~41", "unicode: räksmörgås 日本 🙂",
        "sensors/eu/+/#", "$SYS", "\u{0}", "plain-token_1", String(repeating: "é", count: 100),
    ]

    @Test(arguments: hostile)
    func hostileStringsRoundTripIntoOneSafeToken(text: String) throws {
        let token = SubjectToken.encode(text)
        #expect(SubjectToken.isSubjectSafe(token[...]), "\(token) is not subject-safe")
        #expect(!token.contains("."))
        #expect(try SubjectToken.decode(token) == text)
    }

    @Test func plainTokensStayReadable() {
        #expect(SubjectToken.encode("user-42_a") == "user-42_a")
        #expect(SubjectToken.encode("a.b@x.com") == "a~2Eb~40x~2Ecom")
        #expect(SubjectToken.encode("") == "~_")
    }

    static let hostileCharacters: [Character] = [
        ".", "*", ">", " ", "\t", "~", "_", "-", "/", "+", "#", "é", "日", "🙂", "\u{0}", "a", "Z", "0", "$", "%",
    ]

    @Test func randomStringsRoundTrip() async {
        await propertyCheck(count: 500, input: Gen.element(of: Self.hostileCharacters).compactMap { $0 }.array(of: 0...30)) {
            characters in
            let text = String(characters)
            let token = SubjectToken.encode(text)
            #expect(SubjectToken.isSubjectSafe(token[...]))
            #expect((try? SubjectToken.decode(token)) == text)
        }
    }

    static let notCanonical = ["", "~2e", "~41", "~", "a~", "a~4", "~G1", "a.b", "~_x"]

    @Test(arguments: notCanonical)
    func nonCanonicalTokensAreRefused(token: String) {
        #expect(throws: ValidationError.self) { try SubjectToken.decode(token) }
    }

    @Test func clientIDsJoinAndSplitEvenWithEmptyParts() throws {
        for (principal, session) in [("a.b@x.com", "tab 1"), ("", "s"), ("p", ""), ("", ""), ("~~", "~_")] {
            let id = FabricNames.clientID(principal: principal, session: session)
            #expect(SubjectToken.isSubjectSafe(id[...]))
            let parsed = try FabricNames.parseClientID(id)
            #expect(parsed.principal == principal)
            #expect(parsed.session == session)
        }
        #expect(throws: ValidationError.self) { try FabricNames.parseClientID("only-one-part") }
    }

    @Test func distinctPrincipalsNeverShareAToken() {
        let tokens = Set(Self.hostile.map(SubjectToken.encode))
        #expect(tokens.count == Set(Self.hostile).count)
    }
}
