import CNATS
import Dispatch
import FabricCore
import FabricTestSupport
import Logging
import Synchronization
import Testing

@testable import FabricNATS

/// `batchWhenBusy`: publishes choose whether they are written at once; the router asks
/// `moreQueued` to decide.
@Suite("Batched publishing", .timeLimit(.minutes(2)))
struct BatchedPublishTests {
    /// A connection to `server` that batches, with its own delivery thread per subscription
    /// (a test may hold it without stalling the process's shared pool).
    func batching(_ server: NATSServer) async throws -> NATSConnection {
        try await NATSConnection.connect(
            NATSOptions(urls: [server.url], name: "batching", batchWhenBusy: true, globalMessageDelivery: false),
            logger: Logger(label: "test"))
    }

    @Test func moreQueuedTellsWhetherMessagesWaitBehindTheOneHandled() async throws {
        try await withNATS { server, publisher in
            let connection = try await batching(server)
            defer { connection.close() }
            let gate = DispatchSemaphore(value: 0)
            let seen = Mutex<[Bool]>([])
            let (done, finished) = AsyncStream.makeStream(of: Void.self)
            let subscription = try connection.subscribe(to: "t.queued") { message in
                if seen.withLock({ $0.isEmpty }) { gate.wait() }
                let count = seen.withLock { state in
                    state.append(message.moreQueued)
                    return state.count
                }
                if count == 6 { finished.finish() }
            }
            try await connection.flush()
            for index in 0..<6 { try publisher.publish("t.queued", payload: Array("\(index)".utf8)) }
            // The first message holds the delivery thread; the other five wait behind it.
            #expect(await eventually { subscription.pendingMessages == 5 })
            gate.signal()
            for await _ in done {}
            #expect(seen.withLock { $0 } == [true, true, true, true, true, false])
            #expect(subscription.pendingMessages == 0)
        }
    }

    @Test func batchedRepublishesArriveCompleteAndInOrder() async throws {
        try await withNATS { server, publisher in
            let relay = try await batching(server)
            defer { relay.close() }
            let total = 5000
            var hop = Headers()
            hop.add("Hop", "1")
            let stamp = hop
            let forwarding = try relay.subscribe(to: "t.flood.in") { message in
                try? relay.republish(message, to: "t.flood.out", replyTo: nil, setting: stamp, flush: !message.moreQueued)
            }
            let received = try publisher.messages(on: "t.flood.out", bufferLimit: total)
            try await relay.flush()
            try await publisher.flush()
            for index in 0..<total { try publisher.publish("t.flood.in", payload: Array("\(index)".utf8)) }
            let messages = await collect(received, count: total)
            #expect(messages.map { Int(String(decoding: $0.payload, as: UTF8.self)) } == Array(0..<total))
            #expect(messages.allSatisfy { $0.headers["Hop"] == "1" })
            #expect(forwarding.deliveredCount == total)
        }
    }

    @Test func everyOtherPublishOfABatchingConnectionStillWorks() async throws {
        try await withNATS { server, _ in
            let connection = try await batching(server)
            defer { connection.close() }
            // Without headers and without a body: the message nats.c builds from nothing.
            let responder = try connection.subscribe(to: "t.bare") { message in
                if let reply = message.replyTo { try? connection.publish(reply, payload: Array(message.payload) + [33]) }
            }
            try await connection.flush()
            let empty = try await connection.request("t.bare", payload: [], timeout: .seconds(5))
            #expect(Array(empty.payload) == [33])
            let text = try await connection.request("t.bare", payload: Array("hi".utf8), timeout: .seconds(5))
            #expect(String(decoding: text.payload, as: UTF8.self) == "hi!")
            let jetStream = try JetStream(connection)
            _ = try await jetStream.ensureStream(StreamConfig(name: "BATCHED", subjects: ["t.stored"]))
            let ack = try await jetStream.publish("t.stored", payload: Array("kept".utf8), messageID: "one")
            #expect(ack.stream == "BATCHED" && ack.sequence == 1)
            _ = responder
        }
    }
}

/// `NATSWriteBuffer`: a batching connection writes frames into nats.c's buffer itself and
/// never wakes nats.c's flusher, so every held frame must be written by something here.
/// A frame left behind fails these tests by their 5 s waits, except that nats.c's PONG to
/// the server's first PING (2 s after connecting) writes the buffer too and can rescue an
/// end-to-end test late: `aBurstEndsWithAFlushOfWhatItsHandlersHeld` and the hold-limit test
/// therefore read the buffer itself, within milliseconds of connecting.
@Suite("Frames written into nats.c's buffer", .timeLimit(.minutes(2)))
struct WriteBufferTests {
    func batching(_ server: NATSServer, name: String = "batching") async throws -> NATSConnection {
        try await NATSConnection.connect(
            NATSOptions(
                urls: [server.url], name: name, reconnectWait: .milliseconds(50), batchWhenBusy: true,
                globalMessageDelivery: false),
            logger: Logger(label: "test"))
    }

    /// A batching relay, its write buffer, and `observer`'s subscription to `subject`, both
    /// connections flushed.
    func relaying(
        _ server: NATSServer, _ observer: NATSConnection, to subject: String
    ) async throws -> (relay: NATSConnection, writer: NATSWriteBuffer, received: NATSMessageStream) {
        let relay = try await batching(server)
        let writer = try #require(relay.writer)
        let received = try observer.messages(on: subject)
        try await observer.flush()
        try await relay.flush()
        return (relay, writer, received)
    }

    @Test func aFrameIsTheProtocolLineHeadersBodyAndCRLF() throws {
        var headers = Headers()
        headers.add("K", "v")
        let withHeaders = try #require(
            Array("abc".utf8).withUnsafeBytes {
                NATSWireMessage.frame(subject: "a.b", replyTo: "r.1", headers: headers, bytes: $0)
            })
        #expect(
            withHeaders.withWire { String(decoding: $0, as: UTF8.self) }
                == "HPUB a.b r.1 18 21\r\nNATS/1.0\r\nK: v\r\n\r\nabc\r\n")
        let bare = try #require(
            [UInt8]().withUnsafeBytes { NATSWireMessage.frame(subject: "a", replyTo: nil, headers: nil, bytes: $0) })
        #expect(bare.withWire { String(decoding: $0, as: UTF8.self) } == "PUB a 0\r\n\r\n")
        for subject in ["", "a b", "a\r\nPUB x 1"] {
            let frame = [UInt8]().withUnsafeBytes {
                NATSWireMessage.frame(subject: subject, replyTo: nil, headers: nil, bytes: $0)
            }
            #expect(frame == nil)
            #expect(NATSWireMessage.refusal(subject: subject, replyTo: nil) == NATS_INVALID_SUBJECT)
        }
    }

    @Test func aRepublishReplacesTheHeadersItSetsByTheirExactName() {
        for (name, raw, same) in [
            ("Fabric-Route", "Fabric-Route", true), ("Fabric-Route", "Fabric-Routes", false),
            ("Fabric-Route", "fabric-route", false), ("Fabric-Route", "Fabric-Rout", false), ("", "", true),
            ("A", "", false), ("", "A", false),
        ] {
            #expect(Array(raw.utf8).withUnsafeBytes { NATSWireMessage.sameBytes(name, $0) } == same, "\(name) \(raw)")
        }
    }

    @Test func whatAHandlerLeavesInTheBufferIsWrittenWhenItsBurstEnds() async throws {
        try await withNATS { server, observer in
            let relay = try await batching(server)
            defer { relay.close() }
            let total = 500
            let received = try observer.messages(on: "t.left.out", bufferLimit: total)
            try await observer.flush()
            // Every publish asks to stay in the buffer; a "quiet" message publishes nothing, so
            // only the end of the burst can write what came before it.
            let forwarding = try relay.subscribe(to: "t.left.in") { message in
                guard message.payload.first != UInt8(ascii: "q") else { return }
                try? relay.publish("t.left.out", payload: Array(message.payload), flush: false)
            }
            try await relay.flush()
            for index in 0..<total { try observer.publish("t.left.in", payload: Array("\(index)".utf8)) }
            try observer.publish("t.left.in", payload: Array("quiet".utf8))
            let messages = await collect(received, count: total, timeout: .seconds(5))
            #expect(messages.map { Int(String(decoding: $0.payload, as: UTF8.self)) } == Array(0..<total))
            #expect(await eventually { forwarding.deliveredCount == total + 1 })
        }
    }

    @Test func aBurstEndsWithAFlushOfWhatItsHandlersHeld() async throws {
        try await withNATS { server, observer in
            let (relay, writer, received) = try await relaying(server, observer, to: "t.held")
            defer { relay.close() }
            // Checked within milliseconds of connecting: nats.c's PONG to the server's first
            // PING (2 s after connecting) would write the buffer too.
            writer.delivering { try? relay.publish("t.held", payload: Array("one".utf8), flush: false) }
            #expect(writer.isHolding)
            #expect(natsConnection_Buffered(relay.raw) > 0)
            // The sink of a subscription whose queue is empty ends the burst.
            let sink = HandlerSink(
                handler: { _ in try? relay.publish("t.held", payload: Array("two".utf8), flush: false) }, writer: writer)
            var created: OpaquePointer?
            #expect(natsMsg_Create(&created, "t.in", nil, "x", 1) == NATS_OK)
            let message = try #require(created)
            sink.deliver(message, subscription: nil)
            natsMsg_Destroy(message)
            #expect(!writer.isHolding)
            #expect(natsConnection_Buffered(relay.raw) == 0)
            #expect(await collect(received, count: 2, timeout: .seconds(5)).map(\.text) == ["one", "two"])
        }
    }

    @Test func aFrameHeldPastTheHoldLimitIsWrittenWithTheNextOne() async throws {
        try await withNATS { server, observer in
            let (relay, writer, received) = try await relaying(server, observer, to: "t.long")
            defer { relay.close() }
            writer.delivering { try? relay.publish("t.long", payload: Array("first".utf8), flush: false) }
            #expect(natsConnection_Buffered(relay.raw) > 0)
            // A burst that goes on past the limit (the time is the subject here, not a wait
            // for something else to happen).
            try await Task.sleep(for: .nanoseconds(Int(NATSWriteBuffer.holdLimit) * 5))
            writer.delivering { try? relay.publish("t.long", payload: Array("second".utf8), flush: false) }
            #expect(natsConnection_Buffered(relay.raw) == 0)
            #expect(!writer.isHolding)
            #expect(await collect(received, count: 2, timeout: .seconds(5)).map(\.text) == ["first", "second"])
        }
    }

    @Test func aPublishOutsideItsOwnHandlersIsWrittenAtOnceWhateverItAsks() async throws {
        try await withNATS { server, observer in
            let first = try await batching(server, name: "first")
            let second = try await batching(server, name: "second")
            defer {
                first.close()
                second.close()
            }
            let received = try observer.messages(on: "t.now")
            try await observer.flush()
            // From a task: no burst of this connection will ever end to write it.
            try first.publish("t.now", payload: Array("task".utf8), flush: false)
            #expect(await collect(received, count: 1, timeout: .seconds(5)).first?.text == "task")
            // From a handler of another connection's subscription: that burst does not write
            // this connection's buffer.
            let relay = try second.subscribe(to: "t.hop") { message in
                try? first.publish("t.now", payload: Array(message.payload), flush: false)
            }
            try await second.flush()
            try observer.publish("t.hop", payload: Array("hop".utf8))
            #expect(await collect(received, count: 1, timeout: .seconds(5)).first?.text == "hop")
            _ = relay
        }
    }

    @Test func aMessagePastMaxPayloadIsRefusedAndTheConnectionStays() async throws {
        try await withNATS { server, observer in
            let connection = try await batching(server)
            defer { connection.close() }
            var events = connection.events.makeAsyncIterator()
            var headers = Headers()
            headers.add("Fabric-Id", String(repeating: "x", count: 200))
            // The body alone fits (nats.c's own check); with the headers it does not, and the
            // server would close a connection that sent it.
            let body = [UInt8](repeating: 1, count: connection.maxPayload - 100)
            #expect {
                try connection.publish("t.big", headers: headers, payload: body)
            } throws: { ($0 as? NATSError)?.code == .payloadTooLarge }
            let turn = PublishBatchTests.Turn()
            let batch = NATSPublishBatch(connection: connection, atEndOfTurn: turn.schedule)
            let refused = Task {
                try await connection.request("t.big", headers: headers, payload: body, timeout: .seconds(30), batch: batch)
            }
            #expect(await eventually { batch.heldCount == 1 })
            turn.end()
            await #expect { try await refused.value } throws: { ($0 as? NATSError)?.code == .payloadTooLarge }
            let received = try observer.messages(on: "t.small")
            try await observer.flush()
            try connection.publish("t.small", headers: PublishBatchTests.envelopeHeaders(), payload: Array("ok".utf8))
            #expect(await collect(received, count: 1, timeout: .seconds(5)).first?.text == "ok")
            #expect(connection.isConnected)
            try await connection.flush()
            connection.close()
            #expect(await nextMatching(&events) { $0 == .closed })
            #expect(throws: NATSError.self) { try connection.publish("t.small", payload: [1]) }
        }
    }

    @Test func aPublishWhileReconnectingLeavesOnceReconnected() async throws {
        try await withNATS { server, _ in
            let connection = try await batching(server)
            defer { connection.close() }
            let received = try connection.messages(on: "t.later")
            try await connection.flush()
            var events = connection.events.makeAsyncIterator()
            await server.kill9()
            #expect(await nextMatching(&events) { $0 == .disconnected })
            // nats.c keeps it in its reconnect buffer; the subscription is renewed first.
            try connection.publish("t.later", headers: PublishBatchTests.envelopeHeaders("kept"), payload: Array("x".utf8))
            try await server.restart()
            #expect(await nextMatching(&events) { if case .reconnected = $0 { true } else { false } })
            let messages = await collect(received, count: 1, timeout: .seconds(10))
            #expect(messages.first?.headers["Fabric-Id"] == "kept")
        }
    }
}

/// `NATSPublishBatch`: the requests of one event-loop turn leave in one write at its end.
@Suite("Publish batches", .timeLimit(.minutes(2)))
struct PublishBatchTests {
    /// A turn run by hand: the batch's end-of-turn work waits here until `end()`.
    final class Turn: Sendable {
        private let pending = Mutex<[@Sendable () -> Void]>([])
        private let scheduled = Atomic<Int>(0)

        var schedule: @Sendable (@escaping @Sendable () -> Void) -> Void {
            { [self] work in
                scheduled.add(1, ordering: .relaxed)
                pending.withLock { $0.append(work) }
            }
        }

        /// How often the batch asked for the end of a turn.
        var requested: Int { scheduled.load(ordering: .relaxed) }

        func end() {
            let due = pending.withLock { list in
                defer { list = [] }
                return list
            }
            for work in due { work() }
        }
    }

    static func envelopeHeaders(_ value: String = "1") -> Headers {
        var headers = Headers()
        headers.add("Fabric-Id", value)
        return headers
    }

    @Test func requestsOfATurnLeaveTogetherWhenItEnds() async throws {
        try await withNATS { server, responder in
            let connection = try await NATSConnection.connect(
                NATSOptions(urls: [server.url], name: "batching", batchWhenBusy: true), logger: Logger(label: "test"))
            defer { connection.close() }
            let received = Atomic<Int>(0)
            let echo = try responder.subscribe(to: "t.turn") { message in
                received.add(1, ordering: .relaxed)
                if let reply = message.replyTo { try? responder.publish(reply, payload: Array(message.payload)) }
            }
            try await responder.flush()
            let turn = Turn()
            let batch = NATSPublishBatch(connection: connection, atEndOfTurn: turn.schedule)
            let requests = (0..<3).map { index in
                Task {
                    try await connection.request(
                        "t.turn", headers: Self.envelopeHeaders(), payload: Array("\(index)".utf8), timeout: .seconds(10),
                        batch: batch)
                }
            }
            #expect(await eventually { batch.heldCount == 3 })
            // Held in the batch, not in nats.c's buffer: no flusher or later write can send them.
            try await connection.flush()
            try await responder.flush()
            #expect(received.load(ordering: .relaxed) == 0)
            #expect(turn.requested == 1)
            turn.end()
            var answers: [String] = []
            for request in requests { answers.append(String(decoding: try await request.value.payload, as: UTF8.self)) }
            #expect(answers == ["0", "1", "2"])
            #expect(received.load(ordering: .relaxed) == 3)
            #expect(batch.heldCount == 0)
            _ = echo
        }
    }

    @Test func aMessageThatCannotBeBuiltFailsItsRequestAtOnce() async throws {
        try await withNATS { server, _ in
            let connection = try await NATSConnection.connect(
                NATSOptions(urls: [server.url], name: "batching", batchWhenBusy: true), logger: Logger(label: "test"))
            defer { connection.close() }
            let turn = Turn()
            let batch = NATSPublishBatch(connection: connection, atEndOfTurn: turn.schedule)
            await #expect(throws: NATSError.self) {
                try await connection.request(
                    "t.bad", headers: Self.envelopeHeaders("a\r\nInjected: yes"), payload: [], timeout: .seconds(10),
                    batch: batch)
            }
            #expect(batch.heldCount == 0)
            #expect(turn.requested == 0)
        }
    }

    @Test func aConnectionThatWritesEveryPublishHoldsNothing() async throws {
        try await withNATS { _, connection in
            let echo = try connection.subscribe(to: "t.plain") { message in
                if let reply = message.replyTo { try? connection.publish(reply, payload: Array(message.payload)) }
            }
            try await connection.flush()
            let turn = Turn()
            let batch = NATSPublishBatch(connection: connection, atEndOfTurn: turn.schedule)
            let answer = try await connection.request(
                "t.plain", headers: Self.envelopeHeaders(), payload: Array("now".utf8), timeout: .seconds(10), batch: batch)
            #expect(String(decoding: answer.payload, as: UTF8.self) == "now")
            #expect(turn.requested == 0)
            _ = echo
        }
    }
}
