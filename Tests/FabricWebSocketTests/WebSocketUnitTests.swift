import FabricCore
import Foundation
import HTTPTypes
import NIOCore
import Testing

@testable import FabricWebSocket

@Suite("WebSocket frames, ledger, rate limit, mapping (no I/O)")
struct WebSocketUnitTests {
    @Test func aPublishKeepsItsPayloadBytesUntouched() throws {
        let text =
            #"{"op":"publish","type":"order.created","id":"k1","ack":"a1","payload":{"z":1.50,"a":[1, 2],"big":12345678901234567890}}"#
        guard case .publish(let message, let ack) = try ClientFrame.parse(text: text) else {
            Issue.record("not a publish")
            return
        }
        #expect(ack == "a1")
        #expect(message.key == "k1")
        #expect(message.type == "order.created")
        #expect(String(decoding: message.payload, as: UTF8.self) == #"{"z":1.50,"a":[1, 2],"big":12345678901234567890}"#)
        #expect(message.contentType == "application/json")
    }

    @Test func aBinaryFrameCarriesRawBytesAfterItsHeaderLine() throws {
        let payload: [UInt8] = [0, 1, 0x0A, 0xFF]
        let frame = Array(#"{"op":"request","id":"r1","type":"blob.put","content_type":"image/png"}"#.utf8) + [0x0A] + payload
        guard case .request(let message, let id) = try ClientFrame.parse(binary: frame) else {
            Issue.record("not a request")
            return
        }
        #expect(id == "r1")
        #expect(message.payload == payload)
        #expect(message.contentType == "image/png")
    }

    @Test func badFramesAreRefusedWithACode() {
        let cases: [(String, String)] = [
            ("not json", "invalid-json"),
            ("[1,2]", "invalid-frame"),
            (#"{"type":"x"}"#, "invalid-frame"),
            (#"{"op":"dance"}"#, "unknown-op"),
            (#"{"op":"publish","type":"bad type"}"#, "invalid-type"),
            (#"{"op":"request","type":"echo"}"#, "invalid-frame"),
            (#"{"op":"subscribe","topics":[]}"#, "invalid-frame"),
            (#"{"op":"publish","type":"x","topic":"a/+"}"#, "invalid-topic"),
            (#"{"op":"publish","type":"x","payload_base64":"***"}"#, "invalid-frame"),
            (#"{"op":"ack"}"#, "invalid-frame"),
            (#"{"op":"publish","type":"x","id":""}"#, "invalid-frame"),
        ]
        for (text, code) in cases {
            do {
                _ = try ClientFrame.parse(text: text)
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.code == code, "\(text): \(error.code)")
            }
        }
    }

    @Test func rawMemberRangesSkipNestedValuesAndStrings() {
        let bytes = Array(#"{"a":{"payload":1},"s":"x\"payload\"","payload" : [ {"k":"}"} ] ,"z":2}"#.utf8)
        let range = JSONMembers.raw(of: "payload", in: bytes)
        #expect(range.map { String(decoding: bytes[$0], as: UTF8.self) } == #"[ {"k":"}"} ]"#)
        #expect(JSONMembers.raw(of: "missing", in: bytes) == nil)
    }

    @Test func theLedgerForwardsOnceAndAnswersOnAck() {
        var ledger = OutboxLedger(lastAcked: 10)
        #expect(ledger.received(9, reply: "r0") == .answerNow)
        #expect(ledger.received(12, reply: "r1") == .forward)
        // The same frame again (an answer lost, a second pump): not forwarded twice.
        #expect(ledger.received(12, reply: "r2") == .wait)
        #expect(ledger.acknowledged(11) == [])
        #expect(ledger.acknowledged(12).sorted() == ["r1", "r2"])
        #expect(ledger.lastAcked == 12)
        #expect(ledger.received(12, reply: "r3") == .answerNow)
        // An ack of something never forwarded moves nothing.
        #expect(ledger.acknowledged(40) == [])
        #expect(ledger.lastAcked == 12)
        #expect(ledger.received(13, reply: "r4") == .forward)
        #expect(ledger.refused(13) == ["r4"])
        #expect(ledger.inFlight.isEmpty)
    }

    @Test func theBucketAllowsTheBurstThenTheRate() {
        var bucket = TokenBucket(rate: 10, burst: 3, now: 0)
        var taken: [Bool] = []
        for _ in 0..<4 { taken.append(bucket.take(now: 0)) }
        #expect(taken == [true, true, true, false])
        // 100 ms at 10/s: one more.
        taken = [bucket.take(now: 100_000_000), bucket.take(now: 100_000_000)]
        #expect(taken == [true, false])
        // Never more than the burst, however long it rested.
        taken = []
        for _ in 0..<4 { taken.append(bucket.take(now: 60_000_000_000)) }
        #expect(taken == [true, true, true, false])
    }

    @Test func theMappingCoversEveryStatusOnceAndReadsBack() {
        #expect(
            WebSocketStatusMapping.table.map(\.status).sorted { $0.rawValue < $1.rawValue }
                == Status.allCases.sorted { $0.rawValue < $1.rawValue })
        for row in WebSocketStatusMapping.table {
            #expect(row.frameStatus == row.status.rawValue)
            if let refusal = row.upgradeRefusal {
                #expect(WebSocketStatusMapping.status(forUpgradeRefusal: refusal.code) == row.status)
            }
        }
        #expect(WebSocketStatusMapping.Close.tooLarge.code == 1009)
        #expect(WebSocketStatusMapping.status(forClose: 1009) == .rejected)
        #expect(WebSocketStatusMapping.status(forClose: 1008) == .unauthorized)
        #expect(WebSocketStatusMapping.status(forClose: 1013) == .unavailable)
        #expect(Set(WebSocketStatusMapping.Close.allCases.map(\.code)).count == WebSocketStatusMapping.Close.allCases.count)
    }

    @Test func allowedFiltersFillInThePrincipalAndReadTheClaim() throws {
        let config = WebSocketConfig.Subscribe(allow: ["public/#", "users/{principal}/#", "tenants/{tenant}/+"], claim: "topics")
        let claims = Claims(principal: "alice", tenant: "acme", otherJSON: #"{"topics":["vip/#"]}"#)
        let filters = WebSocketSession.allowedFilters(claims: claims, config: config).map(\.filter)
        #expect(filters == ["public/#", "users/alice/#", "tenants/acme/+", "vip/#"])
        // A principal that is not one topic level cannot widen its own filter.
        let sneaky = Claims(principal: "a/#")
        #expect(WebSocketSession.allowedFilters(claims: sneaky, config: config).map(\.filter) == ["public/#"])
    }

    @Test func aJSONPayloadIsEmbeddedAndAnyOtherMakesABinaryFrame() {
        let text = ServerFrame.json(["op": .string("message")], payload: Array(#"{"n":1}"#.utf8))
        #expect(text.isText, "JSON payload not in a text frame")
        #expect(String(buffer: text.bytes) == #"{"op":"message","payload":{"n":1}}"#)
        let binary = ServerFrame.json(["op": .string("message")], payload: [0xFF, 0x00])
        #expect(!binary.isText, "binary payload not in a binary frame")
        #expect(Array(binary.bytes.readableBytesView) == Array(#"{"op":"message"}"#.utf8) + [0x0A, 0xFF, 0x00])
    }
}
