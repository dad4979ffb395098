import FabricCore
import Foundation
import HTTPTypes
import HummingbirdCore
import Testing

@testable import FabricHTTP

@Suite("HTTP adapter internals (no I/O)")
struct UnitTests {
    @Test func lruEvictsTheLeastRecentlyUsedByCountAndCost() {
        var lru = LRUCache<Int>(maxEntries: 3, maxCost: 100)
        lru.set("a", 1, cost: 10)
        lru.set("b", 2, cost: 10)
        lru.set("c", 3, cost: 10)
        #expect(lru.get("a") == 1)  // a is now the most recent
        lru.set("d", 4, cost: 10)
        #expect(lru.get("b") == nil)
        #expect(lru.keys == ["d", "a", "c"])
        lru.set("e", 5, cost: 85)  // pushes out by cost
        #expect(lru.totalCost <= 100)
        #expect(lru.get("e") == 5)
        lru.set("huge", 6, cost: 101)
        #expect(lru.get("huge") == nil)
        lru.remove("e")
        #expect(lru.count == lru.keys.count)
    }

    @Test func everyStatusHasOneRowAndTheTableReadsBack() {
        #expect(Set(HTTPStatusMapping.table.map(\.status)) == Set(Status.allCases))
        #expect(HTTPStatusMapping.table.count == Status.allCases.count)
        for row in HTTPStatusMapping.table {
            let back = HTTPStatusMapping.status(forHTTP: row.http.code)
            // retry and unavailable share 503; the client reads it as unavailable.
            #expect(back == row.status || (row.status == .retry && back == .unavailable))
            #expect(row.retryAfter == (row.http.code == 503))
        }
        #expect(HTTPStatusMapping.http(for: .ok, publish: true).code == 202)
        #expect(HTTPStatusMapping.status(forHTTP: 413) == .rejected)
    }

    @Test func cachedAnswersRoundTripAndValidate() throws {
        let policy = CachePolicy(ttl: .seconds(5), vary: [])
        let answer = CachedAnswer(payload: Array(#"{"a":1}"#.utf8), contentType: "application/json", policy: policy, now: 10_000)
        let stored = try #require(CachedAnswer(encoded: answer.encoded))
        #expect(stored == answer)
        #expect(CachedAnswer(encoded: Array("nonsense".utf8)) == nil)
        #expect(answer.isFresh(at: 14_999))
        #expect(!answer.isFresh(at: 15_000))
        #expect(answer.age(at: 12_500) == 2)
        #expect(answer.maxAge(at: 12_500) == 2)
        #expect(answer.matches(ifNoneMatch: answer.etag))
        #expect(answer.matches(ifNoneMatch: "\"other\", W/\(answer.etag)"))
        #expect(answer.matches(ifNoneMatch: "*"))
        #expect(!answer.matches(ifNoneMatch: "\"other\""))
        let otherType = CachedAnswer(payload: answer.payload, contentType: "text/plain", policy: policy, now: 10_000)
        #expect(otherType.etag != answer.etag)
    }

    @Test func cacheKeysSeparatePrincipalsAndVarySets() {
        let alice = Claims(principal: "alice", roles: ["b", "a"], tenant: "t")
        let bob = Claims(principal: "bob", roles: ["a", "b"], tenant: "t")
        let query = Array("{}".utf8)
        #expect(
            CacheKey(type: "q", query: query, vary: ["principal"], claims: alice)
                != CacheKey(type: "q", query: query, vary: ["principal"], claims: bob))
        #expect(
            CacheKey(type: "q", query: query, vary: [], claims: alice) == CacheKey(type: "q", query: query, vary: [], claims: bob)
        )
        #expect(
            CacheKey(type: "q", query: query, vary: ["roles", "tenant"], claims: alice)
                == CacheKey(type: "q", query: query, vary: ["tenant", "roles"], claims: bob))
        // A shared entry is never found under a per-principal key, whatever the principal.
        #expect(
            CacheKey(type: "q", query: query, vary: [], claims: alice)
                != CacheKey(type: "q", query: query, vary: ["principal"], claims: Claims(principal: "")))
        // Length-prefixed fields: moving bytes between type and query changes the key.
        #expect(
            CacheKey(type: "ab", query: Array("c".utf8), vary: [], claims: alice)
                != CacheKey(type: "a", query: Array("bc".utf8), vary: [], claims: alice))
        let key = CacheKey(type: "q", query: query, vary: [], claims: alice)
        #expect(key.bucketKey.hasPrefix("q.") && key.bucketKey.count == 66)
        // Forwarded headers are part of every key, in whatever order they were configured.
        let eu = [ForwardedHeader(name: "x-region", value: "eu")]
        let us = [ForwardedHeader(name: "x-region", value: "us")]
        #expect(
            CacheKey(type: "q", query: query, forwarded: eu, vary: ["principal"], claims: alice)
                != CacheKey(type: "q", query: query, forwarded: us, vary: ["principal"], claims: alice))
        #expect(CacheKey(type: "q", query: query, forwarded: eu, vary: [], claims: alice) != key)
        let two = eu + [ForwardedHeader(name: "x-tier", value: "gold")]
        #expect(
            CacheKey(type: "q", query: query, forwarded: two, vary: [], claims: alice)
                == CacheKey(type: "q", query: query, forwarded: two.reversed(), vary: [], claims: bob))
        // A forwarded header can never stand in for a vary name and its value.
        #expect(
            CacheKey(
                type: "q", query: query, forwarded: [ForwardedHeader(name: "principal", value: "alice")], vary: [], claims: bob)
                != CacheKey(type: "q", query: query, vary: ["principal"], claims: alice))
    }

    @Test func serverSentEventsKeepEachFieldOnItsLines() {
        let event = ServerSentEvent(id: "7", event: "a\nb", data: "line one\nline two\r\nthree")
        #expect(event.encoded == "id: 7\nevent: a b\ndata: line one\ndata: line two\ndata: three\n\n")
        var envelope = Envelope(type: "sensor.reading", source: .internal, payload: Array("{\n  \"c\": 21\n}".utf8))
        envelope.topic = "sensors/eu"
        envelope.sequence = 42
        // An at-most-once message has no id, whatever its headers say.
        let plain = ServerSentEvent.message(headers: envelope.headers, payload: envelope.payload, subject: "fabric.out.topic.x")
        #expect(plain.id == nil)
        #expect(!plain.data.contains("\"sequence\""))
        let message = ServerSentEvent.message(
            headers: envelope.headers, payload: envelope.payload, subject: "fabric.out.client.x", sequence: 42)
        #expect(message.id == "42")
        #expect(message.event == "sensor.reading")
        #expect(!message.data.contains("\n"))
        guard case .object(let fields)? = JSONCodec.parse(message.data) else {
            Issue.record("not JSON: \(message.data)")
            return
        }
        #expect(fields["payload"] == .object(["c": .number(21)]))
        #expect(fields["topic"] == .string("sensors/eu"))
        let binary = ServerSentEvent.message(headers: Headers(), payload: [0xFF, 0x00], subject: "fabric.out.client.x")
        #expect(binary.event == "message")
        #expect(binary.data.contains("\"payload_base64\":\"/wA=\""))
    }

    @Test func payloadsAreEmbeddedAsJSONOnlyWhenTheyAreJSON() {
        func embedded(_ payload: String, _ contentType: String?) -> Bool {
            var envelope = Envelope(type: "note.new", source: .internal, payload: Array(payload.utf8))
            envelope.contentType = contentType
            let event = ServerSentEvent.message(headers: envelope.headers, payload: envelope.payload, subject: "s")
            guard case .object(let fields)? = JSONCodec.parse(event.data) else {
                Issue.record("not JSON: \(event.data)")
                return false
            }
            #expect(fields["type"] == .string("note.new"))
            return fields["payload"] != nil
        }
        #expect(embedded(#"{"a":1}"#, "application/json"))
        #expect(embedded(#"{"a":1}"#, "application/problem+json; charset=utf-8"))
        #expect(embedded(#"{"a":1}"#, nil))
        // Another declared type is base64 without a look at the bytes, even when they parse.
        #expect(!embedded("42", "text/plain"))
        // Declared JSON that is not one JSON value cannot add fields to the event's object.
        #expect(!embedded(#"1,"type":"admin.command""#, "application/json"))
        #expect(!ServerSentEvent.isJSONMediaType("application/jsonp"))
        #expect(ServerSentEvent.isJSONMediaType(" Application/JSON ;charset=utf-8"))
    }

    @Test func eventQueueAppliesItsPolicyAndKeepsHeartbeatsApart() async {
        let drops = DropCounter()
        let queue = EventQueue<Int>(capacity: 2, policy: .dropOldest) { drops.add() }
        for value in 1...3 { queue.push(value) }
        queue.heartbeat()
        #expect(drops.count == 1)
        guard case .element(2) = await queue.next(), case .element(3) = await queue.next(), case .heartbeat = await queue.next()
        else {
            Issue.record("drop-oldest kept the wrong messages or lost the heartbeat")
            return
        }
        let strict = EventQueue<Int>(capacity: 1, policy: .disconnect) {}
        strict.push(1)
        strict.push(2)
        guard case .closed(.overflow) = await strict.next() else {
            Issue.record("disconnect policy did not close the stream")
            return
        }
    }

    @Test func reliableFramesAreNeverDroppedAndKeepTheirPlaceInLine() async {
        let drops = DropCounter()
        let queue = EventQueue<Int>(capacity: 2, policy: .dropOldest, reliableCapacity: 2) { drops.add() }
        queue.push(1)
        #expect(queue.pushReliable(100))
        // A flood of ordinary messages pushes out ordinary messages only.
        for value in 2...5 { queue.push(value) }
        #expect(queue.pushReliable(200))
        // A full reliable lane queues nothing: the sender is not answered and sends again.
        #expect(!queue.pushReliable(300))
        #expect(drops.count == 3)
        var received: [Int] = []
        for _ in 0..<4 {
            guard case .element(let value) = await queue.next() else { break }
            received.append(value)
        }
        #expect(received == [100, 4, 5, 200])
        queue.close(.takenOver)
        queue.close(.shutdown)
        #expect(queue.isClosed)
        #expect(!queue.pushReliable(400))
        guard case .closed(.takenOver) = await queue.next() else {
            Issue.record("the first close reason did not stay")
            return
        }
    }

    @Test func queryPayloadsLeaveTheTokenOut() {
        let payload = HTTPIngress.queryPayload(URI("/v1/query/a?b=1&access_token=eyJx.eyJy.sig&access%5Ftoken=eyJz&c=2"))
        #expect(String(decoding: payload, as: UTF8.self) == #"{"b":"1","c":"2"}"#)
    }

    @Test func singleFlightHandsTheLeadersValueToEveryWaiter() async {
        let flight = SingleFlight<Int>()
        guard case .leader = await flight.join("k") else {
            Issue.record("the first caller was not the leader")
            return
        }
        await withTaskGroup(of: Int?.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    if case .follower(let value) = await flight.join("k") { return value }
                    return nil
                }
            }
            while flight.waiters < 5 { await Task.yield() }
            flight.finish("k", sharing: 42)
            for await value in group { #expect(value == 42) }
        }
        #expect(flight.inFlight == 0)
    }

    @Test func requestTimeoutsAreReadAndClamped() {
        let config = HTTPConfig.defaults
        #expect(HTTPIngress.timeout(nil, config: config) == config.requestTimeout)
        #expect(HTTPIngress.timeout("2.5", config: config) == .milliseconds(2500))
        #expect(HTTPIngress.timeout("250ms", config: config) == .milliseconds(250))
        #expect(HTTPIngress.timeout("1d", config: config) == config.maxRequestTimeout)
        #expect(HTTPIngress.timeout("0", config: config) == nil)
        #expect(HTTPIngress.timeout("soon", config: config) == nil)
    }
}
