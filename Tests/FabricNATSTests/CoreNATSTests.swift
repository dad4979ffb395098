import FabricCore
import FabricTestSupport
import Foundation
import Synchronization
import Testing

@testable import FabricNATS

@Suite("Core NATS", .timeLimit(.minutes(2)))
struct CoreNATSTests {
    @Test func publishAndSubscribeCarryHeadersAndPayload() async throws {
        try await withNATS { _, connection in
            let stream = try connection.messages(on: "t.headers")
            try await connection.flush()
            var headers = Headers()
            headers.add("Fabric-Type", "order.created")
            headers.add("X-Multi", "one")
            headers.add("X-Multi", "two")
            headers.add("X-Empty", "")
            try connection.publish("t.headers", headers: headers, payload: Array("hello".utf8), replyTo: "reply.here")
            let received = await collect(stream, count: 1)
            #expect(received.first?.subject == "t.headers")
            #expect(received.first?.replyTo == "reply.here")
            #expect(received.first?.text == "hello")
            #expect(received.first?.headers["Fabric-Type"] == "order.created")
            #expect(received.first?.headers.values("X-Multi") == ["one", "two"])
            // Empty values are not sent: nats.c 3.4.1 would misparse them.
            #expect(received.first?.headers["X-Empty"] == nil)
        }
    }

    /// Header blocks from another client, read in place (`NATSHeaderBlock`) or, for a shape
    /// it does not take (a folded line), through nats.c's own parser: the same fields either way.
    @Test func headersFromAnotherClientReadAsNATSParsesThem() async throws {
        try await withNATS { server, connection in
            let stream = try connection.messages(on: "t.raw.*")
            let (viewedStream, viewed) = AsyncStream.makeStream(of: (String, [String?], Bool, Bool).self)
            let names = ["A", "B", "C", "Status", "Description", "Long", "X"]
            let subscription = try connection.subscribe(to: "t.raw.*") { message in
                // Asked first: nats.c's own check would lift the headers and spoil the block.
                let noResponders = message.isNoResponders
                viewed.yield(
                    (
                        message.subject, names.map { message.header($0) }, NATSHeaderBlock.locate(message.raw) != nil,
                        noResponders
                    ))
            }
            try await connection.flush()
            try await RawNATSPublisher.publish(
                port: server.port,
                [
                    ("t.raw.1", "reply.1", "NATS/1.0\r\nA: 1\r\nB:2\r\nC:   three  \r\nA: again\r\n\r\n", "p1"),
                    ("t.raw.2", nil, "NATS/1.0 404 No Messages\r\nX: y\r\n\r\n", ""),
                    ("t.raw.3", nil, "NATS/1.0\r\nLong: part one\r\n  part two\r\n\r\n", "p3"),
                    ("t.raw.4", nil, "NATS/1.0\r\n\r\n", "p4"),
                    ("t.raw.5", nil, "NATS/1.0 503\r\n\r\n", ""),
                ])
            var received: [String: NATSMessage] = [:]
            for await message in stream {
                received[message.subject] = message
                if received.count == 5 { break }
            }
            let first = try #require(received["t.raw.1"])
            #expect(first.replyTo == "reply.1")
            #expect(first.payload == Array("p1".utf8))
            #expect(first.headers.values("A") == ["1", "again"])
            #expect(first.headers["B"] == "2")
            #expect(first.headers["C"] == "three")
            let status = try #require(received["t.raw.2"])
            #expect(status.headers["Status"] == "404")
            #expect(status.headers["Description"] == "No Messages")
            #expect(status.headers["X"] == "y")
            #expect(status.payload.isEmpty)
            #expect(try #require(received["t.raw.3"]).headers["Long"] == "part one part two")
            let bare = try #require(received["t.raw.4"])
            #expect(bare.headers.isEmpty)
            #expect(bare.payload == Array("p4".utf8))
            // The synchronous handler read the same fields from its borrowed messages.
            var views: [String: [String?]] = [:]
            var inPlace: [String: Bool] = [:]
            var noResponders: [String: Bool] = [:]
            for await (subject, values, readInPlace, isNoResponders) in viewedStream {
                views[subject] = values
                inPlace[subject] = readInPlace
                noResponders[subject] = isNoResponders
                if views.count == 5 { break }
            }
            // Every block but the folded one is read without nats.c's map.
            #expect(inPlace == ["t.raw.1": true, "t.raw.2": true, "t.raw.3": false, "t.raw.4": true, "t.raw.5": true])
            #expect(noResponders == ["t.raw.1": false, "t.raw.2": false, "t.raw.3": false, "t.raw.4": false, "t.raw.5": true])
            #expect(try #require(received["t.raw.5"]).headers["Status"] == "503")
            #expect(views["t.raw.1"] == ["1", "2", "three", nil, nil, nil, nil])
            #expect(views["t.raw.2"] == [nil, nil, nil, "404", "No Messages", nil, "y"])
            #expect(views["t.raw.3"] == [nil, nil, nil, nil, nil, "part one part two", nil])
            #expect(views["t.raw.4"] == [nil, nil, nil, nil, nil, nil, nil])
            subscription.unsubscribe()
        }
    }

    @Test func headerInjectionIsRefused() async throws {
        try await withNATS { _, connection in
            var headers = Headers()
            headers.add("X-Evil", "a\r\nFabric-Principal: root")
            #expect(throws: NATSError.self) { try connection.publish("t.evil", headers: headers, payload: [1]) }
            var badName = Headers()
            badName.add("X Evil:", "v")
            #expect(throws: NATSError.self) { try connection.publish("t.evil", headers: badName, payload: [1]) }
        }
    }

    @Test func envelopeSurvivesTheBroker() async throws {
        try await withNATS { _, connection in
            let stream = try connection.messages(on: "t.envelope")
            try await connection.flush()
            var envelope = Envelope(type: "sensor.reading", source: .mqtt, payload: [0, 1, 2, 255])
            envelope.claims = Claims(principal: "a.b@x.com", roles: ["r1"], tenant: "t")
            envelope.traceparent = TraceParent.fresh()
            try connection.publish("t.envelope", headers: envelope.headers, payload: envelope.payload)
            let message = try #require(await collect(stream, count: 1).first)
            #expect(try Envelope(headers: message.headers, payload: message.payload) == envelope)
        }
    }

    @Test func synchronousHandlerSeesMessagesInOrder() async throws {
        try await withNATS { _, connection in
            let (seen, continuation) = AsyncStream.makeStream(of: Int.self)
            let subscription = try connection.subscribe(to: "t.sync") { message in
                let number = Int(String(decoding: message.payload, as: UTF8.self))!
                continuation.yield(number)
                if number == 999 { continuation.finish() }
            }
            try await connection.flush()
            for number in 0..<1000 { try connection.publish("t.sync", payload: Array(String(number).utf8)) }
            var received: [Int] = []
            for await number in seen { received.append(number) }
            #expect(received == Array(0..<1000))
            #expect(subscription.deliveredCount == 1000)
        }
    }

    @Test func queueGroupDeliversEachMessageOnce() async throws {
        try await withNATS { _, connection in
            let counts = Mutex<[String: Int]>([:])
            let total = 2000
            let (done, doneContinuation) = AsyncStream.makeStream(of: Void.self)
            let received = Atomic<Int>(0)
            var subscriptions: [NATSSubscription] = []
            for member in ["a", "b"] {
                subscriptions.append(
                    try connection.subscribe(to: "t.work", queue: "workers") { message in
                        let id = String(decoding: message.payload, as: UTF8.self)
                        counts.withLock { $0[id, default: 0] += 1 }
                        counts.withLock { $0["member-\(member)", default: 0] += 1 }
                        if received.add(1, ordering: .relaxed).newValue == total { doneContinuation.finish() }
                    })
            }
            try await connection.flush()
            for index in 0..<total { try connection.publish("t.work", payload: Array("m\(index)".utf8)) }
            for await _ in done {}
            let snapshot = counts.withLock { $0 }
            #expect((0..<total).allSatisfy { snapshot["m\($0)"] == 1 })
            #expect((snapshot["member-a"] ?? 0) > 0)
            #expect((snapshot["member-b"] ?? 0) > 0)
            #expect((snapshot["member-a"] ?? 0) + (snapshot["member-b"] ?? 0) == total)
            _ = subscriptions
        }
    }

    @Test func requestGetsTheReply() async throws {
        try await withNATS { _, connection in
            let responder = try connection.subscribe(to: "svc.echo") { message in
                guard let reply = message.replyTo else { return }
                var headers = Headers()
                headers.add("Fabric-Status", "ok")
                try? connection.publish(reply, headers: headers, payload: Array("echo:".utf8) + Array(message.payload))
            }
            try await connection.flush()
            let answers = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let reply = try await connection.request(
                            "svc.echo", payload: Array("\(index)".utf8), timeout: .seconds(5))
                        #expect(reply.headers["Fabric-Status"] == "ok")
                        return reply.text
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(answers == Set((0..<50).map { "echo:\($0)" }))
            _ = responder
        }
    }

    @Test func requestWithoutRespondersFailsAsNoResponders() async throws {
        try await withNATS { _, connection in
            do {
                _ = try await connection.request("nobody.home", payload: [1], timeout: .seconds(30))
                Issue.record("a request without responders succeeded")
            } catch {
                #expect((error as? NATSError)?.code == .noResponders)
            }
        }
    }

    @Test func requestToASilentResponderTimesOut() async throws {
        try await withNATS { _, connection in
            let silent = try connection.subscribe(to: "svc.silent") { _ in }
            try await connection.flush()
            do {
                _ = try await connection.request("svc.silent", timeout: .milliseconds(200))
                Issue.record("a request to a silent responder succeeded")
            } catch {
                #expect((error as? NATSError)?.code == .timeout)
            }
            _ = silent
        }
    }

    @Test func stalledConsumerDropsAndCountsInsteadOfGrowing() async throws {
        try await withNATS { _, connection in
            // Nobody iterates this stream: its hand-off holds at most 16 messages.
            let stalled = try connection.messages(on: "t.flood", bufferLimit: 16, label: "test-stalled")
            let tracer = try connection.messages(on: "t.flood", bufferLimit: 10_000)
            try await connection.flush()
            let total = 5000
            for index in 0..<total {
                try connection.publish("t.flood", payload: Array(repeating: UInt8(index & 0xFF), count: 256))
            }
            // The second subscription, drained here, proves every message reached the client.
            #expect(await collect(tracer, count: total).count == total)
            let settled = await eventually {
                stalled.subscription.deliveredCount + stalled.subscription.droppedCount == total
            }
            #expect(settled)
            #expect(stalled.subscription.deliveredCount == 16)
            #expect(stalled.subscription.droppedCount == total - 16)
            // What was kept is the oldest 16, in order.
            let kept = await collect(stalled, count: 16)
            #expect(kept.map { $0.payload.first } == (0..<16).map { UInt8($0) })
        }
    }

    @Test func unsubscribedHandlerReceivesNothingMore() async throws {
        try await withNATS { _, connection in
            let count = Atomic<Int>(0)
            let subscription = try connection.subscribe(to: "t.unsub") { _ in count.add(1, ordering: .relaxed) }
            try await connection.flush()
            try connection.publish("t.unsub", payload: [1])
            try await connection.flush()
            #expect(await eventually { count.load(ordering: .relaxed) == 1 })
            subscription.unsubscribe()
            try await connection.flush()
            let probe = try connection.messages(on: "t.unsub")
            try await connection.flush()
            try connection.publish("t.unsub", payload: [2])
            _ = await collect(probe, count: 1)
            #expect(count.load(ordering: .relaxed) == 1)
        }
    }

    @Test func clientReconnectsAfterServerRestartAndSubscriptionResumes() async throws {
        try await withNATS { server, connection in
            let stream = try connection.messages(on: "t.survive")
            try await connection.flush()
            try connection.publish("t.survive", payload: Array("before".utf8))
            var iterator = stream.makeAsyncIterator()
            #expect(await iterator.next()?.text == "before")

            var events = connection.events.makeAsyncIterator()
            await server.kill9()
            #expect(await nextMatching(&events) { $0 == .disconnected })
            try await server.restart()
            #expect(await nextMatching(&events) { if case .reconnected = $0 { true } else { false } })

            // The subscription was re-established by the reconnect: it receives again.
            try connection.publish("t.survive", payload: Array("after".utf8))
            #expect(await iterator.next()?.text == "after")
        }
    }

    @Test func drainClosesTheConnection() async throws {
        try await withNATS { _, connection in
            var events = connection.events.makeAsyncIterator()
            try await connection.drain(timeout: .seconds(5))
            #expect(await nextMatching(&events) { $0 == .closed })
            #expect(!connection.isConnected)
            #expect(throws: NATSError.self) { try connection.publish("t.x", payload: [1]) }
        }
    }
}

/// The next event satisfying `predicate`; false when the stream ends first.
func nextMatching(_ events: inout AsyncStream<NATSEvent>.Iterator, _ predicate: (NATSEvent) -> Bool) async -> Bool {
    while let event = await events.next() {
        if predicate(event) { return true }
    }
    return false
}
