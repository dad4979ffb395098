import FabricCore
import Foundation
import Testing

@Suite("JSONWriter")
struct JSONWriterTests {
    /// What Foundation's encoder writes with the options `JSONCodec` used before the writer.
    private func foundation(_ value: JSONValue) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test(
        "writes what Foundation's encoder writes",
        arguments: [
            JSONValue.null, .bool(true), .bool(false), .number(0), .number(-42), .number(1.5), .number(-0.25),
            .number(1e300), .number(123_456_789_012), .string(""), .string("plain / slash"),
            .string("quote \" backslash \\ tab \t newline \n return \r bell \u{07} unit \u{1F} del \u{7F}"),
            .string("é 漢字 🙂"), .array([]), .object([:]),
            .object([
                "zeta": .number(1), "alpha": .array([.null, .string("x"), .object(["b": .bool(false), "a": .number(2)])]),
                "mid": .object([:]),
            ]),
            // Key order with case, digits and non-ASCII: the same as Foundation's on Linux.
            .object([
                "b": .number(1), "B": .number(2), "a10": .number(3), "a2": .number(4), "Zeta": .number(5),
                "alpha": .number(6), "é": .number(7), "e": .number(8),
            ]),
        ])
    func matchesFoundation(_ value: JSONValue) throws {
        #expect(JSONCodec.encodeSorted(value) == (try foundation(value)))
    }

    @Test("what it writes parses back to the same value")
    func roundTrips() {
        let value = JSONValue.object([
            "payload": .object(["n": .number(7), "text": .string("a\u{0}b\"c")]),
            "list": .array([.number(-3.75), .bool(true), .null]),
        ])
        #expect(JSONCodec.parse(JSONWriter.sorted(value)) == value)
    }

    @Test("members and string maps: commas, sorted keys, escaped names")
    func membersAndStringMaps() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.member("a\"b")
        writer.write(strings: ["z": "1", "y": "2\n"])
        writer.member("n")
        writer.write(number: .infinity)
        writer.member("raw")
        writer.write(raw: Array("[1,2]".utf8))
        writer.endObject()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"{"a\"b":{"y":"2\n","z":"1"},"n":null,"raw":[1,2]}"#)
    }
}
