import FabricCore
import FabricDelivery
import FabricNATS
import FabricObservability
import FabricRouter
import FabricTestSupport
import Foundation
import Testing

@Suite("Router and delivery", .timeLimit(.minutes(2)))
struct RouterDeliveryTests {
    static let rules = """
        version: 1
        routes:
          - name: orders
            match: { type: "order.*" }
            to: orders
            delivery: at-least-once
            retry: { attempts: 4, backoff: { initial: 20ms, max: 100ms, jitter: 0.1 } }
          - name: jobs
            match: { type: "job.*" }
            to: jobs
            delivery: at-least-once
        """

    func router(_ harness: DeliveryHarness) -> RouterService {
        // Nothing here is about a store timing out: the default 2 s was outlasted once by a
        // JetStream publish while the whole suite ran in parallel (the duplicate answered
        // `unavailable`).
        var config = FabricConfig.defaults.router
        config.storeTimeout = .seconds(20)
        return RouterService(
            connection: harness.connection, jetStream: harness.jetStream,
            source: StaticRouteSource(text: Self.rules, version: "test:1"),
            config: config, readiness: Readiness(), logger: DeliveryHarness.logger)
    }

    func request(
        _ harness: DeliveryHarness, type: String, expect: Expect, id: String = FabricID.generate(), payload: String = "{}"
    ) async throws -> NATSMessage {
        var envelope = Envelope(type: type, source: .http, payload: Array(payload.utf8), id: id)
        envelope.expect = expect
        envelope.claims = Claims(principal: "carol")
        return try await harness.connection.request(
            FabricNames.Subject.inbound(type: type), headers: envelope.headers, payload: envelope.payload, timeout: .seconds(10))
    }

    @Test func aRequestOnAnAtLeastOnceRouteGetsTheAnswerAfterARetry() async throws {
        try await DeliveryHarness.run { harness in
            let backend = try await TestBackend.start(harness.connection, service: "orders") { delivery in
                delivery.attempt == 1 ? .retry("cold start") : .ok(#"{"accepted":true}"#)
            }
            let router = router(harness)
            try await harness.with([router, harness.delivery()]) {
                await router.waitUntilRouting()
                let id = FabricID.generate()
                let answer = try await request(harness, type: "order.created", expect: .reply, id: id, payload: #"{"n":1}"#)
                #expect(answer.headers[HeaderName.status] == "ok")
                #expect(answer.text == #"{"accepted":true}"#)
                #expect(answer.headers[HeaderName.attempt] == "2")
                #expect(backend.deliveries(of: id).map(\.attempt) == [1, 2])
                // The backend saw the client's envelope, claims included, as an at-least-once attempt.
                let last = try #require(backend.deliveries(of: id).last)
                #expect(last.headers[HeaderName.principal] == "carol")
                #expect(last.headers[HeaderName.delivery] == "at-least-once")
                #expect(last.payload == #"{"n":1}"#)
            }
        }
    }

    @Test func theSameFabricIDTwiceInsideTheWindowIsDeliveredOnce() async throws {
        try await DeliveryHarness.run { harness in
            let backend = try await TestBackend.start(harness.connection, service: "jobs")
            let router = router(harness)
            try await harness.with([router, harness.delivery()]) {
                await router.waitUntilRouting()
                let id = FabricID.generate()
                let first = try await request(harness, type: "job.run", expect: .ack, id: id)
                let second = try await request(harness, type: "job.run", expect: .ack, id: id)
                #expect(first.headers[HeaderName.status] == "ok")
                #expect(second.headers[HeaderName.status] == "ok")
                // One store: the second was a duplicate inside the window. Once the work queue is
                // empty nothing is left to deliver, so the count below is final.
                #expect(try await harness.jetStream.streamInfo(FabricNames.Stream.work).lastSequence == 1)
                #expect(try await eventually { try await harness.count(FabricNames.Stream.work) == 0 })
                #expect(backend.deliveries(of: id).count == 1)
            }
        }
    }

    @Test func servicesWhoseBackendsFailOrHangDoNotDelayAnother() async throws {
        let services = """
              services:
                bad: { concurrency: 4 }
                stuck: { concurrency: 2, attempt_timeout: 1s }
                good: {}
            """
        try await DeliveryHarness.run(yaml: services) { harness in
            let policy = RetryPolicy(
                attempts: 1000, initial: .milliseconds(50), max: .milliseconds(200), multiplier: 2, jitter: 0.2)
            let bad = try await TestBackend.start(harness.connection, service: "bad") { _ in .retry("down") }
            // Never answers: every attempt holds one of the service's two slots until it times out.
            let stuck = try await TestBackend.start(harness.connection, service: "stuck") { _ in nil }
            let good = try await TestBackend.start(harness.connection, service: "good")
            try await harness.with([harness.delivery()]) {
                for _ in 0..<200 { try await harness.storeWork(service: "bad", retry: policy) }
                for _ in 0..<20 { try await harness.storeWork(service: "stuck", retry: policy) }
                var ids: Set<String> = []
                for _ in 0..<50 {
                    let id = FabricID.generate()
                    ids.insert(id)
                    try await harness.storeWork(service: "good", id: id)
                }
                #expect(await eventually(timeout: .seconds(30)) { good.distinctIDs == ids })
                // Every good message is done while the failing service's backlog is still there.
                let backlog = try await harness.jetStream.consumerInfo(
                    stream: FabricNames.Stream.work, consumer: FabricNames.workConsumer(service: "bad"))
                #expect(backlog.pending + UInt64(backlog.ackPending) > 0)
                #expect(try await harness.count(FabricNames.Stream.work, subject: "fabric.work.bad") == 200)
                #expect(try await harness.count(FabricNames.Stream.work, subject: "fabric.work.stuck") == 20)
                #expect(bad.count > 0)
                #expect(stuck.count > 0)
                #expect(try await harness.count(FabricNames.Stream.deadLetter) == 0)
            }
        }
    }
}
