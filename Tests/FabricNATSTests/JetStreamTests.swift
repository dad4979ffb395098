import FabricCore
import FabricNATS
import FabricTestSupport
import Foundation
import Testing

@Suite("JetStream and KV", .timeLimit(.minutes(2)))
struct JetStreamTests {
    func stream(_ name: String = "T") -> StreamConfig {
        var config = StreamConfig(name: name, subjects: ["t.>"])
        config.storage = .memory
        config.duplicateWindow = .seconds(60)
        return config
    }

    @Test func ensureStreamIsIdempotentAndUpdates() async throws {
        try await withNATS { _, connection in
            let jetStream = try JetStream(connection)
            var config = stream()
            try await jetStream.ensureStream(config)
            try await jetStream.ensureStream(config)
            config.maxMessagesPerSubject = 5
            let updated = try await jetStream.ensureStream(config)
            #expect(updated.config.maxMessagesPerSubject == 5)
            #expect(try await jetStream.streamInfo("T").config.subjects == ["t.>"])
        }
    }

    @Test func fabricTopologyIsEnsuredTwice() async throws {
        try await withNATS { _, connection in
            let jetStream = try JetStream(connection)
            var settings = FabricConfig.defaults.jetstream
            settings.inMemory = true
            let topology = FabricTopology(config: settings)
            try await topology.ensure(on: jetStream)
            try await topology.ensure(on: jetStream)
            let work = try await jetStream.streamInfo(FabricNames.Stream.work)
            #expect(work.config.retention == .workQueue)
            #expect(work.config.discard == .new)
            #expect(try await jetStream.streamInfo(FabricNames.Stream.outbox).config.maxMessagesPerSubject == 1000)
        }
    }

    @Test func sameMessageIDTwiceIsStoredOnce() async throws {
        try await withNATS { _, connection in
            let jetStream = try JetStream(connection)
            try await jetStream.ensureStream(stream())
            let first = try await jetStream.publish("t.a", payload: Array("x".utf8), messageID: "id-1")
            let second = try await jetStream.publish("t.a", payload: Array("x".utf8), messageID: "id-1")
            let third = try await jetStream.publish("t.a", payload: Array("y".utf8), messageID: "id-2")
            #expect(!first.duplicate)
            #expect(second.duplicate)
            #expect(second.sequence == first.sequence)
            #expect(third.sequence == first.sequence + 1)
            #expect(try await jetStream.streamInfo("T").messages == 2)
        }
    }

    @Test func publishWithoutStreamFailsFast() async throws {
        try await withNATS { _, connection in
            let jetStream = try JetStream(connection)
            do {
                _ = try await jetStream.publish("nostream.x", payload: [1], timeout: .seconds(30))
                Issue.record("publish without a stream succeeded")
            } catch {
                #expect((error as? NATSError)?.code == .noResponders)
            }
        }
    }

    @Test func fullStreamWithDiscardNewRefusesPublish() async throws {
        try await withNATS { _, connection in
            let jetStream = try JetStream(connection)
            var config = stream()
            config.maxMessages = 2
            config.discard = .new
            try await jetStream.ensureStream(config)
            _ = try await jetStream.publish("t.a", payload: [1])
            _ = try await jetStream.publish("t.a", payload: [2])
            do {
                _ = try await jetStream.publish("t.a", payload: [3])
                Issue.record("a full stream accepted a third message")
            } catch {
                #expect((error as? NATSError)?.code == .jetStream)
                #expect((error as? NATSError)?.jetStreamCode == 10077)
            }
        }
    }

    func pull(_ jetStream: JetStream, ackWait: Duration = .seconds(30)) async throws -> PullConsumer {
        try await jetStream.ensureStream(stream())
        var consumer = ConsumerConfig(durable: "worker", filterSubject: "t.>")
        consumer.ackWait = ackWait
        try await jetStream.ensureConsumer(stream: "T", consumer)
        try await jetStream.ensureConsumer(stream: "T", consumer)
        return try await jetStream.pullConsumer(stream: "T", consumer: "worker")
    }

    @Test func ackedMessagesAreNotRedelivered() async throws {
        try await withNATS { _, connection in
            let jetStream = try JetStream(connection)
            let consumer = try await pull(jetStream)
            for index in 0..<3 { _ = try await jetStream.publish("t.job", payload: [UInt8(index)]) }
            let batch = try await consumer.fetch(batch: 10, timeout: .seconds(5))
            #expect(batch.map(\.payload) == [[0], [1], [2]])
            #expect(batch.map(\.deliveryCount) == [1, 1, 1])
            for message in batch { try message.ack() }
            try await connection.flush()
            #expect(try await consumer.fetch(batch: 10, timeout: .milliseconds(300)).isEmpty)
            let info = try await jetStream.consumerInfo(stream: "T", consumer: "worker")
            #expect(info.ackPending == 0)
            #expect(info.pending == 0)
        }
    }

    @Test func nakWithDelayRedeliversAfterTheDelay() async throws {
        try await withNATS { _, connection in
            let jetStream = try JetStream(connection)
            let consumer = try await pull(jetStream)
            _ = try await jetStream.publish("t.job", payload: Array("retry me".utf8))
            let first = try #require(try await consumer.fetch(batch: 1, timeout: .seconds(5)).first)
            let nakTime = ContinuousClock.now
            try first.nak(delay: .seconds(1))
            var redelivered: JetStreamMessage?
            while redelivered == nil {
                redelivered = try await consumer.fetch(batch: 1, timeout: .seconds(5)).first
            }
            // Not redelivered before the delay: the lower bound only, which no slow machine breaks.
            #expect(ContinuousClock.now - nakTime >= .seconds(1))
            #expect(redelivered?.deliveryCount == 2)
            #expect(redelivered?.streamSequence == first.streamSequence)
            try redelivered?.ack()
        }
    }

    @Test func termStopsRedelivery() async throws {
        try await withNATS { _, connection in
            let jetStream = try JetStream(connection)
            let consumer = try await pull(jetStream, ackWait: .milliseconds(500))
            _ = try await jetStream.publish("t.job", payload: [9])
            let message = try #require(try await consumer.fetch(batch: 1, timeout: .seconds(5)).first)
            try message.term()
            try await connection.flush()
            // Well past ack wait: a message that was only left unacked would be back by now.
            #expect(try await consumer.fetch(batch: 1, timeout: .seconds(2)).isEmpty)
            #expect(try await jetStream.consumerInfo(stream: "T", consumer: "worker").ackPending == 0)
        }
    }

    @Test func unackedMessageComesBackAfterAckWait() async throws {
        try await withNATS { _, connection in
            let jetStream = try JetStream(connection)
            let consumer = try await pull(jetStream, ackWait: .milliseconds(500))
            _ = try await jetStream.publish("t.job", payload: [7])
            let first = try #require(try await consumer.fetch(batch: 1, timeout: .seconds(5)).first)
            var again: JetStreamMessage?
            while again == nil { again = try await consumer.fetch(batch: 1, timeout: .seconds(5)).first }
            #expect(again?.streamSequence == first.streamSequence)
            #expect(again?.deliveryCount == 2)
            try again?.ack()
        }
    }

    @Test func storedMessagesCanBeReadByNumberAndSubject() async throws {
        try await withNATS { _, connection in
            let jetStream = try JetStream(connection)
            try await jetStream.ensureStream(stream())
            var headers = Headers()
            headers.add("X-Kind", "first")
            let ack = try await jetStream.publish("t.a", headers: headers, payload: Array("one".utf8))
            _ = try await jetStream.publish("t.b", payload: Array("two".utf8))
            _ = try await jetStream.publish("t.a", payload: Array("three".utf8))
            let byNumber = try await jetStream.message(stream: "T", sequence: ack.sequence)
            #expect(byNumber.subject == "t.a")
            #expect(byNumber.headers["X-Kind"] == "first")
            #expect(String(decoding: byNumber.payload, as: UTF8.self) == "one")
            #expect(
                String(decoding: try await jetStream.lastMessage(stream: "T", subject: "t.a").payload, as: UTF8.self) == "three")
            let next = try await jetStream.nextMessage(stream: "T", subject: "t.a", from: ack.sequence + 1)
            #expect(next?.sequence == ack.sequence + 2)
            #expect(try await jetStream.nextMessage(stream: "T", subject: "t.a", from: ack.sequence + 3) == nil)
            try await jetStream.deleteMessage(stream: "T", sequence: ack.sequence)
            do {
                _ = try await jetStream.message(stream: "T", sequence: ack.sequence)
                Issue.record("a deleted message was read")
            } catch {
                #expect((error as? NATSError)?.code == .notFound)
            }
        }
    }

    @Test func keyValuePutGetDeleteAndWatch() async throws {
        try await withNATS { _, connection in
            let jetStream = try JetStream(connection)
            var config = KeyValueConfig(bucket: "settings")
            config.history = 3
            config.inMemory = true
            let bucket = try await jetStream.ensureKeyValue(config)
            let revision = try await bucket.put("routes", Array("v1".utf8))
            #expect(try await bucket.get("routes")?.text == "v1")
            #expect(try await bucket.get("missing") == nil)

            var watch = try bucket.watch("routes").makeAsyncIterator()
            #expect(await watch.next() == .entry(try #require(try await bucket.get("routes"))))
            #expect(await watch.next() == .caughtUp)
            try await bucket.put("routes", Array("v2".utf8))
            guard case .entry(let update)? = await watch.next() else {
                Issue.record("no update")
                return
            }
            #expect(update.text == "v2")
            #expect(update.revision > revision)

            do {
                _ = try await bucket.update("routes", Array("stale".utf8), lastRevision: revision)
                Issue.record("an update at a stale revision succeeded")
            } catch {
                #expect((error as? NATSError)?.code == .other)
            }
            try await bucket.delete("routes")
            guard case .entry(let deletion)? = await watch.next() else {
                Issue.record("no delete")
                return
            }
            #expect(deletion.operation == .delete)
            #expect(try await bucket.get("routes") == nil)
            #expect(try await bucket.keys().isEmpty)
        }
    }

    @Test func keyValueEntriesExpireWithTheBucketTTL() async throws {
        try await withNATS { _, connection in
            let jetStream = try JetStream(connection)
            var config = KeyValueConfig(bucket: "short")
            config.ttl = .milliseconds(500)
            config.inMemory = true
            let bucket = try await jetStream.ensureKeyValue(config)
            try await bucket.put("k", [1])
            #expect(try await bucket.get("k") != nil)
            let expired = try await eventually(timeout: .seconds(15), every: .milliseconds(100)) {
                try await bucket.get("k") == nil
            }
            #expect(expired)
        }
    }
}
