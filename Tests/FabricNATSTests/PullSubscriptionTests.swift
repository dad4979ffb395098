import FabricCore
import FabricNATS
import FabricTestSupport
import Foundation
import Synchronization
import Testing

@Suite("Pull subscriptions and the async JetStream API", .timeLimit(.minutes(2)))
struct PullSubscriptionTests {
    func stream(_ jetStream: JetStream) async throws {
        var config = StreamConfig(name: "P", subjects: ["p.>"])
        config.storage = .memory
        try await jetStream.ensureStream(config)
    }

    @Test func ackSubjectsOfBothFormsAreRead() {
        let short = JetStreamMetadata(ackSubject: "$JS.ACK.FABRIC_WORK.work-echo.3.42.7.1700000000000000000.5")
        #expect(short?.stream == "FABRIC_WORK")
        #expect(short?.consumer == "work-echo")
        #expect(short?.deliveryCount == 3)
        #expect(short?.streamSequence == 42)
        #expect(short?.consumerSequence == 7)
        #expect(short?.timestamp == 1_700_000_000_000_000_000)
        #expect(short?.pending == 5)
        let long = JetStreamMetadata(ackSubject: "$JS.ACK.hub.ACCHASH.S.C.1.2.3.4.5.token")
        #expect(long?.stream == "S")
        #expect(long?.deliveryCount == 1)
        #expect(long?.pending == 5)
        #expect(JetStreamMetadata(ackSubject: "_INBOX.abc.1") == nil)
        #expect(JetStreamMetadata(ackSubject: "$JS.ACK.S.C.x.2.3.4.5") == nil)
    }

    @Test func directGetsFindBySequenceSubjectAndLast() async throws {
        try await withNATS { _, connection in
            let jetStream = try JetStream(connection)
            try await stream(jetStream)
            for (subject, body) in [("p.a", "1"), ("p.b", "2"), ("p.a", "3")] {
                var headers = Headers()
                headers.add("x-body", body)
                _ = try await jetStream.publish(subject, headers: headers, payload: Array(body.utf8))
            }
            let second = try #require(try await jetStream.directGet(stream: "P", .sequence(2)))
            #expect(second.subject == "p.b")
            #expect(second.payload == Array("2".utf8))
            #expect(second.headers["x-body"] == "2")
            #expect(second.headers["Nats-Sequence"] == nil, "bookkeeping headers are removed")
            #expect(second.time > 0)
            #expect(try await jetStream.directGet(stream: "P", .next(subject: "p.a", from: 2))?.sequence == 3)
            #expect(try await jetStream.directGet(stream: "P", .last(subject: "p.a"))?.sequence == 3)
            #expect(try await jetStream.directGet(stream: "P", .sequence(99)) == nil)
            #expect(try await jetStream.directGet(stream: "P", .next(subject: "p.c", from: 0)) == nil)
        }
    }

    @Test func purgeBeforeASequenceAndDeleteWithoutABlockedThread() async throws {
        try await withNATS { _, connection in
            let jetStream = try JetStream(connection)
            try await stream(jetStream)
            for subject in ["p.a", "p.a", "p.b", "p.a"] { _ = try await jetStream.publish(subject, payload: [1]) }
            #expect(try await jetStream.purge(stream: "P", subject: "p.a", before: 4) == 2)
            #expect(try await jetStream.directGet(stream: "P", .next(subject: "p.a", from: 0))?.sequence == 4)
            try await jetStream.delete(stream: "P", sequence: 3)
            do throws(NATSError) {
                try await jetStream.delete(stream: "P", sequence: 3)
                Issue.record("deleting a deleted message succeeded")
            } catch {
                #expect(error.code == .notFound, "\(error) \(error.jetStreamCode)")
            }
            #expect(try await jetStream.streamInfo("P").messages == 1)
        }
    }

    @Test func aReaderDeliversHeadersOnlyInOrderAndEnds() async throws {
        try await withNATS { _, connection in
            let jetStream = try JetStream(connection)
            try await stream(jetStream)
            for index in 1...10 { _ = try await jetStream.publish("p.\(index % 2)", payload: Array(repeating: 7, count: index)) }
            let reader = try await jetStream.createReader(stream: "P", subject: "p.1", start: .sequence(3), headersOnly: true)
            #expect(reader.pending == 4)
            let seen = Mutex<[(UInt64, String?, Int)]>([])
            let (done, finish) = AsyncStream.makeStream(of: Void.self)
            let subscription = try PullSubscription(connection: connection, stream: "P", consumer: reader.name) {
                message, signal in
                guard case .message(let metadata) = signal else { return }
                seen.withLock { $0.append((metadata.streamSequence, message.header("Nats-Msg-Size"), message.payload.count)) }
                if metadata.pending == 0 { finish.finish() }
            }
            try subscription.pull(batch: 10, expires: .seconds(5))
            for await _ in done {}
            let rows = seen.withLock { $0 }
            #expect(rows.map(\.0) == [3, 5, 7, 9])
            #expect(rows.map(\.1) == ["3", "5", "7", "9"])
            #expect(rows.allSatisfy { $0.2 == 0 })
            subscription.stop()
            try await jetStream.removeConsumer(stream: "P", name: reader.name)
        }
    }

    @Test func verdictsReachTheServer() async throws {
        try await withNATS { _, connection in
            let jetStream = try JetStream(connection)
            var config = StreamConfig(name: "Q", subjects: ["q.>"])
            config.storage = .memory
            config.retention = .workQueue
            try await jetStream.ensureStream(config)
            var consumer = ConsumerConfig(durable: "worker", filterSubject: "q.>")
            consumer.ackWait = .seconds(30)
            try await jetStream.ensureConsumer(stream: "Q", consumer)
            for index in 0..<3 { _ = try await jetStream.publish("q.\(index)", payload: [UInt8(index)]) }
            let deliveries = Mutex<[(subject: String, count: UInt64, ack: String)]>([])
            let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
            let subscription = try PullSubscription(connection: connection, stream: "Q", consumer: "worker") {
                message, signal in
                guard case .message(let metadata) = signal, let ack = message.replyTo else { return }
                deliveries.withLock { $0.append((message.subject, metadata.deliveryCount, ack)) }
                arrived.yield()
            }
            try subscription.pull(batch: 3, expires: .seconds(5))
            var iterator = arrivals.makeAsyncIterator()
            for _ in 0..<3 { _ = await iterator.next() }
            let first = deliveries.withLock { $0 }
            #expect(first.map(\.subject) == ["q.0", "q.1", "q.2"])
            try connection.acknowledge(first[0].ack, .ack)
            try connection.acknowledge(first[1].ack, .term)
            try connection.acknowledge(first[2].ack, .nak(delay: .milliseconds(50)))
            try subscription.pull(batch: 1, expires: .seconds(5))
            _ = await iterator.next()
            let again = try #require(deliveries.withLock { $0.last })
            #expect(again.subject == "q.2")
            #expect(again.count == 2)
            try connection.acknowledge(again.ack, .inProgress)
            try connection.acknowledge(again.ack, .ack)
            #expect(await eventually { (try? await jetStream.streamInfo("Q").messages) == 0 })
            subscription.stop()
        }
    }
}
