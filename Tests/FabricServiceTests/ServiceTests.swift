import FabricCore
import FabricExamples
import FabricNATS
import FabricService
import FabricTestSupport
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@Suite("Backend SDK", .timeLimit(.minutes(2)))
struct ServiceTests {
    /// A nats-server, the fabric's streams, and `services` running while `body` runs;
    /// `batchWhenBusy` for the connection they share.
    static func with(
        batchWhenBusy: Bool = false, _ makeServices: (NATSConnection, JetStream) throws -> [any Service],
        _ body: (NATSConnection, JetStream) async throws -> Void
    ) async throws {
        let server = try await NATSServer.start()
        let connection = try await NATSConnection.connect(
            NATSOptions(urls: [server.url], name: "sdk-test", batchWhenBusy: batchWhenBusy))
        let jetStream = try JetStream(connection)
        var settings = FabricConfig.defaults.jetstream
        settings.inMemory = true
        try await FabricTopology(config: settings).ensure(on: jetStream)
        let services = try makeServices(connection, jetStream)
        let group = ServiceGroup(services: services, logger: Logger(label: "sdk-test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for case let service as FabricService in services { await service.waitUntilReady() }
            do {
                try await body(connection, jetStream)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        connection.close()
        await server.stop()
    }

    static func request(
        _ connection: NATSConnection, service: String, type: String, payload: String = "{}", deadline: UInt64? = nil,
        cache: CachePolicy? = nil, partition: Int? = nil
    ) async throws -> NATSMessage {
        var envelope = Envelope(type: type, source: .internal, payload: Array(payload.utf8))
        envelope.claims = Claims(principal: "alice", roles: ["r"])
        envelope.correlationID = "corr-1"
        envelope.traceparent = TraceParent.fresh()
        envelope.deadline = deadline
        envelope.cache = cache
        envelope.partition = partition
        return try await connection.request(
            FabricNames.Subject.service(service, partition: partition), headers: envelope.headers, payload: envelope.payload,
            timeout: .seconds(10))
    }

    @Test func handlersReceiveTheEnvelopeAndAnswer() async throws {
        try await Self.with({ connection, jetStream in
            let service = FabricService(name: "greeter", connection: connection, jetStream: jetStream)
            service.on("greet.*") { request, _ in
                .ok(Array("hello \(request.claims?.principal ?? "?") via \(request.type)".utf8), contentType: "text/plain")
            }
            return [service]
        }) { connection, _ in
            let reply = try await Self.request(connection, service: "greeter", type: "greet.morning")
            #expect(reply.headers[HeaderName.status] == "ok")
            #expect(reply.text == "hello alice via greet.morning")
            #expect(reply.headers[HeaderName.contentType] == "text/plain")
            #expect(reply.headers[HeaderName.correlationId] == "corr-1")
            #expect(reply.headers[HeaderName.traceparent] != nil)
            let unknown = try await Self.request(connection, service: "greeter", type: "farewell")
            #expect(unknown.headers[HeaderName.status] == "not-found")
        }
    }

    struct Boom: Error {}

    @Test func thrownErrorsBecomeErrorOrRetry() async throws {
        try await Self.with({ connection, jetStream in
            let service = FabricService(name: "failing", connection: connection, jetStream: jetStream)
            service.on("fatal") { _, _ in throw Boom() }
            service.on("flaky") { _, _ in throw RetryableError("database busy") }
            service.on("explicit") { _, _ in .retry("try later") }
            return [service]
        }) { connection, _ in
            #expect(try await Self.request(connection, service: "failing", type: "fatal").headers[HeaderName.status] == "error")
            let flaky = try await Self.request(connection, service: "failing", type: "flaky")
            #expect(flaky.headers[HeaderName.status] == "retry")
            #expect(flaky.headers[HeaderName.error] == "database busy")
            #expect(
                try await Self.request(connection, service: "failing", type: "explicit").headers[HeaderName.status] == "retry")
        }
    }

    @Test func deadlinesAreHonoured() async throws {
        let calls = Atomic<Int>(0)
        let cancelled = Atomic<Bool>(false)
        try await Self.with({ connection, jetStream in
            let service = FabricService(name: "slow", connection: connection, jetStream: jetStream)
            service.on("work") { _, _ in
                calls.add(1, ordering: .relaxed)
                try? await Task.sleep(for: .seconds(30))
                if Task.isCancelled { cancelled.store(true, ordering: .relaxed) }
                return .ok()
            }
            return [service]
        }) { connection, _ in
            let past = try await Self.request(connection, service: "slow", type: "work", deadline: WallClock.nowMillis() - 1)
            #expect(past.headers[HeaderName.status] == "timeout")
            #expect(calls.load(ordering: .relaxed) == 0)
            // Far enough ahead that the request starts before it on a loaded machine (the whole
            // suite runs in parallel on two cores); the handler's 30 s sleep still outlives it.
            let soon = try await Self.request(connection, service: "slow", type: "work", deadline: WallClock.nowMillis() + 3000)
            #expect(soon.headers[HeaderName.status] == "timeout")
            #expect(calls.load(ordering: .relaxed) == 1)
            #expect(await eventually { cancelled.load(ordering: .relaxed) })
        }
    }

    @Test func cachePolicyIsCopiedOntoSuccessfulAnswersOnly() async throws {
        try await Self.with({ connection, jetStream in
            let service = FabricService(name: "query", connection: connection, jetStream: jetStream)
            service.on("good") { _, _ in .ok(Array("v".utf8)) }
            service.on("bad") { _, _ in .error("no") }
            return [service]
        }) { connection, _ in
            let policy = CachePolicy(ttl: .seconds(5), vary: [])
            let good = try await Self.request(connection, service: "query", type: "good", cache: policy)
            #expect(good.headers[HeaderName.cache] == policy.headerValue)
            let bad = try await Self.request(connection, service: "query", type: "bad", cache: policy)
            #expect(bad.headers[HeaderName.cache] == nil)
        }
    }

    @Test func contextPublishesToClientsTopicsUsersAndTheOutbox() async throws {
        let clientID = FabricNames.clientID(principal: "alice", session: "tab-1")
        try await Self.with({ connection, jetStream in
            let service = FabricService(name: "notifier", connection: connection, jetStream: jetStream)
            service.on("notify") { request, context in
                try context.publish(toClient: clientID, type: "note.client", payload: Array("c".utf8))
                try context.publish(toTopic: "news/eu.west", type: "note.topic", payload: Array("t".utf8))
                try context.publish(toUser: "alice", type: "note.user", payload: Array("u".utf8))
                let sequence = try await context.outbox(toClient: clientID, type: "note.durable", payload: Array("d".utf8))
                return .ok(Array(String(sequence).utf8))
            }
            return [service]
        }) { connection, jetStream in
            let client = try connection.messages(on: FabricNames.Subject.outClient(clientID))
            let topic = try connection.messages(on: FabricNames.Subject.outTopic(try Topic("news/eu.west")))
            let user = try connection.messages(on: FabricNames.Subject.outUser(principal: "alice"))
            try await connection.flush()
            let reply = try await Self.request(connection, service: "notifier", type: "notify")
            #expect(reply.headers[HeaderName.status] == "ok")
            var clientIterator = client.makeAsyncIterator()
            var topicIterator = topic.makeAsyncIterator()
            var userIterator = user.makeAsyncIterator()
            let toClient = try #require(await clientIterator.next())
            #expect(toClient.text == "c")
            #expect(toClient.headers[HeaderName.type] == "note.client")
            #expect(toClient.headers[HeaderName.correlationId] == "corr-1")
            let toTopic = try #require(await topicIterator.next())
            #expect(toTopic.subject == "fabric.out.topic.news.eu~2Ewest")
            #expect(toTopic.headers[HeaderName.topic] == "news/eu.west")
            #expect(await userIterator.next()?.text == "u")
            let sequence = try #require(UInt64(reply.text))
            let stored = try await jetStream.message(stream: FabricNames.Stream.outbox, sequence: sequence)
            #expect(stored.subject == FabricNames.Subject.outbox(clientID: clientID))
            #expect(String(decoding: stored.payload, as: UTF8.self) == "d")
        }
    }

    @Test func instancesShareWorkAndPartitionsAreServed() async throws {
        let handledBy = Mutex<[String: Int]>([:])
        try await Self.with({ connection, jetStream in
            ["one", "two"].map { instance in
                let service = FabricService(name: "shared", connection: connection, jetStream: jetStream)
                service.on(">") { _, _ in
                    handledBy.withLock { $0[instance, default: 0] += 1 }
                    return .ok()
                }
                return service
            }
        }) { connection, _ in
            for _ in 0..<200 { _ = try await Self.request(connection, service: "shared", type: "job") }
            let partitioned = try await Self.request(connection, service: "shared", type: "job", partition: 3)
            #expect(partitioned.headers[HeaderName.status] == "ok")
            let counts = handledBy.withLock { $0 }
            #expect(counts.values.reduce(0, +) == 201)
            #expect((counts["one"] ?? 0) > 0)
            #expect((counts["two"] ?? 0) > 0)
        }
    }

    @Test func alertsExampleRaisesAlertsAboveTheThreshold() async throws {
        try await Self.with({ connection, jetStream in
            [try AlertsBackend.make(connection: connection, jetStream: jetStream, threshold: 50)]
        }) { connection, _ in
            let alerts = try connection.messages(on: "fabric.out.topic.alerts.>")
            try await connection.flush()
            let cool = try await Self.request(
                connection, service: "alerts", type: "sensor.temp", payload: #"{"sensor":"s1","reading":{"celsius":20}}"#)
            #expect(cool.text == #"{"alert":false}"#)
            let hot = try await Self.request(
                connection, service: "alerts", type: "sensor.temp", payload: #"{"sensor":"s2","reading":{"celsius":72.5}}"#)
            #expect(hot.text == #"{"alert":true}"#)
            var iterator = alerts.makeAsyncIterator()
            let alert = try #require(await iterator.next())
            #expect(alert.subject == "fabric.out.topic.alerts.s2")
            #expect(alert.text.contains(#""value":72.5"#))
            let invalid = try await Self.request(connection, service: "alerts", type: "sensor.temp", payload: "not json")
            #expect(invalid.headers[HeaderName.status] == "rejected")
        }
    }
}
