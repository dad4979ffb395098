import Dispatch
import FabricCore
import FabricNATS
import FabricTestSupport
import Synchronization
import Testing

@testable import FabricDelivery

@Suite("Dead-letter store", .timeLimit(.minutes(2)))
struct DeadLetterStoreTests {
    func services(_ harness: DeliveryHarness) async throws -> [String] {
        try await DeadLetterStore(jetStream: harness.jetStream).list(DeadLetterQuery()).map(\.service)
    }

    @Test func purgeRemovesWhatItCountedAndKeepsWhatArrivedMeanwhile() async throws {
        try await DeliveryHarness.run { harness in
            let store = DeadLetterStore(jetStream: harness.jetStream)
            for _ in 0..<3 { try await harness.storeDeadLetter(service: "alpha", reason: .error) }
            try await harness.storeDeadLetter(service: "beta", reason: .error)
            let plan = try await store.planPurge(service: "alpha", olderThan: nil)
            #expect(plan.count == 3)
            // Stored while the prompt waits: not counted, so not purged.
            let late = try await harness.storeDeadLetter(service: "alpha", reason: .maxAttempts)
            #expect(try await store.purge(plan) == 3)
            let left = try await store.list(DeadLetterQuery())
            #expect(left.map(\.service) == ["alpha", "beta"])
            #expect(left.first?.sequence == late)

            let everything = try await store.planPurge(service: nil, olderThan: nil)
            #expect(everything.count == 2)
            try await harness.storeDeadLetter(service: "beta", reason: .expired)
            #expect(try await store.purge(everything) == 2)
            #expect(try await services(harness) == ["beta"])

            // Nothing is older than an hour: nothing counted, nothing removed.
            let old = try await store.planPurge(service: nil, olderThan: .seconds(3600))
            #expect(old.count == 0)
            #expect(try await store.purge(old) == 0)
            #expect(try await harness.count(FabricNames.Stream.deadLetter) == 1)
        }
    }

    @Test func aReplayIDIsFreshAgainstTheOriginalAndTheSameForTheSameReplay() {
        var headers = Headers()
        headers.set(HeaderName.id, "01ABC")
        headers.set(HeaderName.natsMsgId, "01ABC.orders")
        headers.set(HeaderName.deadLetterReason, "error")
        let once = DeadLetterHeaders.replay(headers, service: "orders", sequence: 7)
        let again = DeadLetterHeaders.replay(headers, service: "orders", sequence: 7)
        #expect(once[HeaderName.natsMsgId] == "01ABC.orders.replay-7")
        #expect(again[HeaderName.natsMsgId] == once[HeaderName.natsMsgId])
        #expect(once[HeaderName.deadLetterReason] == nil)
        // Another entry, or another target, is another replay.
        #expect(
            DeadLetterHeaders.replay(headers, service: "orders", sequence: 8)[HeaderName.natsMsgId] == "01ABC.orders.replay-8")
        #expect(DeadLetterHeaders.replay(headers, service: "audit", sequence: 7)[HeaderName.natsMsgId] == "01ABC.audit.replay-7")
    }

    @Test func aReplayRunAgainAfterItsStoreStoresOneWorkMessage() async throws {
        try await DeliveryHarness.run { harness in
            let store = DeadLetterStore(jetStream: harness.jetStream)
            let sequence = try await harness.storeDeadLetter(service: "alpha", reason: .error)
            // A first run stored the replay, then failed before removing the entry.
            let letter = try await store.show(sequence)
            let headers = DeadLetterHeaders.replay(letter.headers, service: "alpha", sequence: sequence)
            let stored = try await harness.jetStream.publish(
                FabricNames.Subject.work(service: "alpha"), headers: headers, payload: letter.payload,
                messageID: headers[HeaderName.natsMsgId], expectedStream: FabricNames.Stream.work)
            // Running it again stores nothing new and removes the entry.
            #expect(try await store.replay(sequence) == stored.sequence)
            #expect(try await harness.count(FabricNames.Stream.work) == 1)
            #expect(try await harness.count(FabricNames.Stream.deadLetter) == 0)

            // Two runs at once: one work message, whichever removes the entry.
            let next = try await harness.storeDeadLetter(service: "beta", reason: .error)
            async let first = try? store.replay(next)
            async let second = try? store.replay(next)
            let results = await [first, second]
            #expect(results.contains { $0 != nil })
            #expect(try await harness.count(FabricNames.Stream.work, subject: "fabric.work.beta") == 1)
            #expect(try await harness.count(FabricNames.Stream.deadLetter) == 0)
        }
    }

    @Test(.timeLimit(.minutes(1))) func aReadWhoseLastEntriesAreRemovedMidwayEnds() async throws {
        try await DeliveryHarness.run { harness in
            for _ in 0..<10 { try await harness.storeDeadLetter(service: "alpha", reason: .error) }
            // The removals go through a connection with its own delivery threads: the
            // reader's thread waits in the visitor meanwhile.
            let remover = try await NATSConnection.connect(
                NATSOptions(urls: [harness.server.url], name: "remover", globalMessageDelivery: false),
                logger: DeliveryHarness.logger)
            defer { remover.close() }
            let removerStream = try JetStream(remover)
            let (firstVisit, visitedFirst) = AsyncStream.makeStream(of: Void.self)
            let resume = DispatchSemaphore(value: 0)
            let visited = Mutex<[UInt64]>([])
            // One message per request: the first visit sees nine more announced.
            let reader = StreamReader(jetStream: harness.jetStream, batch: 1, expires: .milliseconds(300))
            async let read = reader.read(
                stream: FabricNames.Stream.deadLetter, subject: nil, from: .first, headersOnly: true
            ) { _, metadata in
                let isFirst = visited.withLock { visited in
                    visited.append(metadata.streamSequence)
                    return visited.count == 1
                }
                if isFirst {
                    visitedFirst.yield()
                    _ = resume.wait(timeout: .now() + 30)
                }
                return true
            }
            var visits = firstVisit.makeAsyncIterator()
            _ = await visits.next()
            // A purge or a replay elsewhere takes the tail away.
            for sequence in UInt64(3)...10 {
                try await removerStream.delete(stream: FabricNames.Stream.deadLetter, sequence: sequence)
            }
            resume.signal()
            // The read ends although the last message it saw announced more.
            #expect(try await read == 10)
            let sequences = visited.withLock { $0 }
            #expect(sequences.first == 1)
            #expect(sequences.allSatisfy { $0 <= 2 }, "\(sequences)")
        }
    }
}
