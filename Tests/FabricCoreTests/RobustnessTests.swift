import FabricCore
import PropertyBased
import Testing

/// Seed corpora and random input for the parsers: whatever comes in, they answer with a
/// value or a typed error, never a crash (STYLE.md: fuzz seeds run as ordinary tests).
@Suite("Parser robustness")
struct RobustnessTests {
    static let headerNames = [
        HeaderName.version, HeaderName.id, HeaderName.type, HeaderName.source, HeaderName.time, HeaderName.attempt,
        HeaderName.retry, HeaderName.cache, HeaderName.traceparent, HeaderName.deadline, HeaderName.partition,
        HeaderName.principal, HeaderName.roles, "x-other", "",
    ]
    static let headerValues = [
        "", "1", "0", "-1", "99999999999999999999999", "order.created", "a..b", "http", "01JF3Z8Q9K2M4N6P8R0T2V4X6Z",
        "attempts=;", "ttl=5s;vary=", "00-00-00-00", "\u{0}", "é", "ttl=1d;vary=principal,roles", "jitter=NaN",
    ]

    @Test func randomHeaderSetsDecodeOrFailWithATypedError() async {
        let field = Gen.element(of: Self.headerNames).compactMap { $0 }
        let value = Gen.element(of: Self.headerValues).compactMap { $0 }
        await propertyCheck(count: 2000, input: field.array(of: 0...20), value.array(of: 20)) { names, values in
            var headers = Headers()
            for (index, name) in names.enumerated() { headers.add(name, values[index % values.count]) }
            do throws(EnvelopeError) {
                let envelope = try Envelope(headers: headers, payload: [1, 2, 3])
                // Whatever decoded must encode and decode to the same envelope.
                #expect((try? Envelope(headers: envelope.headers, payload: envelope.payload)) == envelope)
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
    }

    static let ruleSeeds = [
        "version: 1\nroutes:\n  - name: a\n    match: { type: \"x.*\" }\n    to: s\n",
        "version: 1\nroutes:\n  - name: a\n    match: { payload: { \"/v\": { gt: 1, in: [1, 2] } } }\n    to: [s, t]\n",
        "version: 1\nroutes: []\ndefault: { to: s, delivery: at-least-once }\n",
        "version: 1\nroutes:\n  - name: a\n    to: s\n    partition: { key: \"payload:/u\", count: 4 }\n",
    ]

    @Test func mutatedRuleFilesParseOrFailWithRuleErrors() async {
        let mutations = Gen.int(in: 0...200).array(of: 1...6)
        let characters: [Character] = ["\n", " ", ":", "{", "}", "[", "]", "-", "\"", "x", "*", ">", "#", "0", "~", "\t"]
        await propertyCheck(count: 1500, input: Gen.int(in: 0...(Self.ruleSeeds.count - 1)), mutations) { seed, positions in
            var text = Array(Self.ruleSeeds[seed])
            for position in positions where !text.isEmpty {
                let index = position % text.count
                text[index] = characters[position % characters.count]
            }
            do throws(RuleError) {
                let set = try RouteSet.parse(yaml: String(text), version: "fuzz")
                var input = RoutingInput(type: "x.y", payload: Array(#"{"v":1,"u":"z"}"#.utf8))
                _ = RouteMatcher(set).match(&input)
            } catch {
                #expect(!error.reason.isEmpty)
            }
        }
    }

    @Test func randomBytesNeverBreakTheJSONParser() async {
        let byte = Gen.element(of: Array("{}[]\",:0123456789.eE-+tfnrulsa \\u\t\n".utf8)).compactMap { $0 }
        await propertyCheck(count: 3000, input: byte.array(of: 0...40)) { bytes in
            if let value = JSONCodec.parse(bytes) {
                #expect(JSONCodec.parse(Array(value.compactText.utf8)) == value)
            }
        }
    }
}
