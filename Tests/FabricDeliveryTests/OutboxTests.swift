import FabricCore
import FabricDelivery
import FabricNATS
import FabricService
import FabricTestSupport
import Foundation
import Testing

@Suite("Outbox and disconnected clients", .timeLimit(.minutes(2)))
struct OutboxTests {
    let client = FabricNames.clientID(principal: "alice", session: "tab 1")

    /// Queues a message for `client` the way the SDK's `ServiceContext.outbox` does.
    @discardableResult
    func queue(_ harness: DeliveryHarness, _ payload: String, client: String? = nil) async throws -> UInt64 {
        let envelope = Envelope(type: "note.new", source: .internal, payload: Array(payload.utf8))
        return try await harness.jetStream.publish(
            FabricNames.Subject.outbox(clientID: client ?? self.client), headers: envelope.headers,
            payload: envelope.payload, messageID: envelope.id, expectedStream: FabricNames.Stream.outbox
        ).sequence
    }

    func depth(_ harness: DeliveryHarness, client: String? = nil) async throws -> UInt64 {
        try await harness.count(FabricNames.Stream.outbox, subject: FabricNames.Subject.outbox(clientID: client ?? self.client))
    }

    @Test func anOfflineClientGetsItsQueueInOrderOnReconnectAndResumesAfterWhatItSaw() async throws {
        try await DeliveryHarness.run { harness in
            try await harness.with([harness.delivery()]) {
                var sequences: [UInt64] = []
                for index in 1...5 { sequences.append(try await queue(harness, "m\(index)")) }
                let adapter = try TestAdapter(connection: harness.connection, client: client)
                try await adapter.connect()
                #expect(await eventually { adapter.frames.count == 5 })
                #expect(adapter.frames.map(\.payload) == ["m1", "m2", "m3", "m4", "m5"])
                #expect(adapter.frames.map(\.sequence) == sequences)
                // Delivered messages leave the queue.
                #expect(try await eventually { try await depth(harness) == 0 })

                // While connected, a new message goes straight through.
                try await queue(harness, "m6")
                #expect(await eventually { adapter.frames.count == 6 })

                // Offline again: messages wait. The client had seen m7 before it dropped (its
                // last ack never reached delivery), so on reconnect it resumes after m7.
                try await adapter.disconnect()
                let seventh = try await queue(harness, "m7")
                try await queue(harness, "m8")
                try await queue(harness, "m9")
                #expect(try await depth(harness) == 3)
                let again = try TestAdapter(connection: harness.connection, client: client, lastSequence: seventh)
                try await again.connect()
                #expect(await eventually { again.frames.count == 2 })
                #expect(again.frames.map(\.payload) == ["m8", "m9"])
                #expect(try await eventually { try await depth(harness) == 0 })
                #expect(adapter.frames.count == 6)
            }
        }
    }

    @Test func aFullClientQueueRefusesNewMessagesAndKeepsTheQueuedOnes() async throws {
        try await DeliveryHarness.run(yaml: "jetstream:\n  outbox: { max_per_client: 3 }\n") { harness in
            try await harness.with([harness.delivery()]) {
                for index in 1...3 { try await queue(harness, "q\(index)") }
                do {
                    try await queue(harness, "q4")
                    Issue.record("a fourth message was stored for a client limited to three")
                } catch let error as NATSError {
                    #expect(error.message.contains("maximum messages per subject"), "\(error)")
                }
                // Other clients are not affected by one full queue.
                try await queue(harness, "other", client: FabricNames.clientID(principal: "bob", session: "s"))
                let adapter = try TestAdapter(connection: harness.connection, client: client)
                try await adapter.connect()
                #expect(await eventually { adapter.frames.count == 3 })
                #expect(adapter.frames.map(\.payload) == ["q1", "q2", "q3"])
                // Delivered messages make room again.
                #expect(try await eventually { try await depth(harness) == 0 })
                try await queue(harness, "q5")
                #expect(await eventually { adapter.frames.map(\.payload).last == "q5" })
            }
        }
    }

    @Test func theSDKReportsAFullQueueAsOutboxFullError() async throws {
        try await DeliveryHarness.run(yaml: "jetstream:\n  outbox: { max_per_client: 2 }\n") { harness in
            let notifier = FabricService(name: "notifier", connection: harness.connection, jetStream: harness.jetStream)
            let target = client
            notifier.on("notify") { request, context in
                do {
                    try await context.outbox(toClient: target, type: "note.new", payload: request.payload)
                    return .ok(Array("stored".utf8))
                } catch let error as OutboxFullError {
                    return .ok(Array("full: \(error.clientID)".utf8))
                }
            }
            try await harness.with([notifier]) {
                var answers: [String] = []
                for index in 1...3 {
                    var envelope = Envelope(type: "notify", source: .internal, payload: Array("n\(index)".utf8))
                    envelope.expect = .reply
                    var answer: NATSMessage?
                    // The service subscribes as it starts: until then a request finds no responders.
                    _ = await eventually {
                        answer = try? await harness.connection.request(
                            "fabric.svc.notifier", headers: envelope.headers, payload: envelope.payload, timeout: .seconds(5))
                        return answer != nil
                    }
                    answers.append(try #require(answer).text)
                }
                #expect(answers == ["stored", "stored", "full: \(target)"])
                #expect(try await depth(harness) == 2)
            }
        }
    }

    @Test func aMessageTheClientRefusesIsDroppedAndTheNextOneFollows() async throws {
        try await DeliveryHarness.run { harness in
            try await harness.with([harness.delivery()]) {
                let adapter = try TestAdapter(connection: harness.connection, client: client) { $0 == "huge" }
                try await adapter.connect()
                try await queue(harness, "small")
                try await queue(harness, "huge")
                try await queue(harness, "after")
                #expect(await eventually { adapter.frames.count == 2 })
                #expect(adapter.frames.map(\.payload) == ["small", "after"])
                #expect(try await eventually { try await depth(harness) == 0 })
            }
        }
    }

    @Test func expiredMessagesAreRemovedAndCounted() async throws {
        try await DeliveryHarness.run(yaml: "jetstream:\n  outbox: { max_age: 1s }\n") { harness in
            let delivery = try await DeliveryProcess.start(
                harness, services: [], environment: ["FABRIC_JETSTREAM__OUTBOX__MAX_AGE": "1s"])
            try await queue(harness, "stale-1")
            try await queue(harness, "stale-2")
            #expect(try await eventually(timeout: .seconds(20)) { try await depth(harness) == 0 })
            #expect(await eventually { (try? await delivery.metric("fabric_delivery_outbox_expired_total")) == 2 })
            let adapter = try TestAdapter(connection: harness.connection, client: client)
            try await adapter.connect()
            try await queue(harness, "fresh")
            #expect(await eventually { adapter.frames.count == 1 })
            #expect(adapter.frames.map(\.payload) == ["fresh"])
            #expect(await delivery.process.stop() == 0)
        }
    }
}

@Suite("Outbox with two delivery instances", .timeLimit(.minutes(2)))
struct OutboxInstancesTests {
    @Test func twoInstancesGiveAClientEachMessageOnceAndInOrder() async throws {
        try await DeliveryHarness.run { harness in
            let other = try await NATSConnection.connect(
                NATSOptions(urls: [harness.server.url], name: "delivery-test-2"), logger: DeliveryHarness.logger)
            let second = DeliveryService(jetStream: try JetStream(other), config: harness.config, logger: DeliveryHarness.logger)
            let client = FabricNames.clientID(principal: "dora", session: "phone")
            try await harness.with([harness.delivery(), second]) {
                // Queued while offline, then more while online: both instances see every hint.
                var payloads: [String] = []
                for index in 0..<20 {
                    payloads.append("early-\(index)")
                    let envelope = Envelope(type: "note.new", source: .internal, payload: Array(payloads.last!.utf8))
                    _ = try await harness.jetStream.publish(
                        FabricNames.Subject.outbox(clientID: client), headers: envelope.headers, payload: envelope.payload,
                        messageID: envelope.id)
                }
                let adapter = try TestAdapter(connection: harness.connection, client: client)
                try await adapter.connect()
                for index in 0..<30 {
                    payloads.append("late-\(index)")
                    let envelope = Envelope(type: "note.new", source: .internal, payload: Array(payloads.last!.utf8))
                    _ = try await harness.jetStream.publish(
                        FabricNames.Subject.outbox(clientID: client), headers: envelope.headers, payload: envelope.payload,
                        messageID: envelope.id)
                }
                #expect(await eventually { adapter.frames.count == payloads.count })
                #expect(adapter.frames.map(\.payload) == payloads)
                let sequences = adapter.frames.map(\.sequence)
                #expect(sequences == sequences.sorted())
                print(
                    "two delivery instances: \(payloads.count) frames, \(adapter.duplicates) requests for frames already confirmed"
                )
            }
            other.close()
        }
    }
}
