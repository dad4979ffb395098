import FabricCore
import Foundation
import PropertyBased
import Testing

@Suite("JSON parser")
struct JSONParserTests {
    static let valid: [(String, JSONValue)] = [
        ("null", .null), ("true", .bool(true)), (" false ", .bool(false)), ("0", .number(0)), ("-12.5e2", .number(-1250)),
        ("1E-2", .number(0.01)), (#""a\"b\\c\/\n\t""#, .string("a\"b\\c/\n\t")), (#""\u00e9\ud83d\ude42""#, .string("é🙂")),
        ("[]", .array([])), ("{}", .object([:])),
        (#"{"a":[1,{"b":null}],"c":"d"}"#, .object(["a": .array([.number(1), .object(["b": .null])]), "c": .string("d")])),
        ("\"räksmörgås\"", .string("räksmörgås")),
    ]

    @Test(arguments: valid)
    func validDocumentsParse(text: String, expected: JSONValue) {
        #expect(JSONCodec.parse(text) == expected)
    }

    static let invalid = [
        "", " ", "nul", "tru", "01", "1.", ".5", "-", "1e", "+1", "[1,]", "{\"a\":1,}", "{a:1}", "[1 2]", "\"unterminated",
        "\"bad \\x escape\"", "\"\u{01}\"", "NaN", "[1]x", "{\"a\" 1}", "\"\\ud800\"", "\"\\udc00x\"", "1e999", "-1e400",
        String(repeating: "[", count: 200) + String(repeating: "]", count: 200),
    ]

    @Test(arguments: invalid)
    func invalidDocumentsAreRefused(text: String) {
        #expect(JSONCodec.parse(text) == nil, "accepted \(text)")
    }

    @Test func agreesWithFoundationOnRandomDocuments() async {
        let leaf = Gen.int(in: -1000...1000).map { JSONValue.number(Double($0)) }
        let strings = Gen.letterOrNumber.string(of: 0...8).map(JSONValue.string)
        await propertyCheck(count: 300, input: leaf.array(of: 0...6), strings.array(of: 0...6)) { numbers, texts in
            let document = JSONValue.object([
                "n": .array(numbers), "s": .array(texts), "nested": .object(["x": .array(numbers + texts)]),
            ])
            let encoded = Array(JSONCodec.encodeSorted(document).utf8)
            #expect(JSONCodec.parse(encoded) == document)
            let foundation = try? JSONSerialization.jsonObject(with: Data(encoded))
            #expect(foundation != nil)
        }
    }
}
