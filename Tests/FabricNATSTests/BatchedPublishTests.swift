import Dispatch
import FabricCore
import FabricNATS
import FabricTestSupport
import Logging
import Synchronization
import Testing

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
