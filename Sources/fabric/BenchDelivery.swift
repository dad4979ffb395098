import FabricCore
import FabricDelivery
import FabricNATS
import FabricObservability
import FabricRouter
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The measurements of `fabric bench delivery`, in one process: a router, a delivery
/// instance and a backend that answers at once, over one nats-server.
struct BenchDelivery {
    let url: String
    let messages: Int
    let window: Int
    let requests: Int
    let concurrency: Int
    let deadLetters: Int

    static let rules = """
        version: 1
        routes:
          - name: at-least-once
            match: { type: "bench.alo" }
            to: benchsvc
            delivery: at-least-once
          - name: at-most-once
            match: { type: "bench.amo" }
            to: benchsvc
        """

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let config = try FabricConfig(
            reader: ConfigReader.parse(
                yaml: "delivery:\n  services:\n    benchsvc: { concurrency: \(concurrency) }\n  discovery_interval: 100ms\n",
                environment: ["FABRIC_NATS__URLS": url]))
        let options = NATSOptions(config: config.nats, role: "bench")
        let connection = try await NATSConnection.connect(options, logger: logger)
        let client = try await NATSConnection.connect(options, logger: logger)
        let jetStream = try JetStream(connection)
        let topology = FabricTopology(config: config.jetstream)
        try await topology.ensure(on: jetStream)
        for stream in topology.streams { try await jetStream.purgeStream(stream.name) }

        let handled = Atomic<Int>(0)
        let backend = try connection.subscribe(to: "fabric.svc.benchsvc", queue: "fabric-svc-benchsvc") { message in
            handled.add(1, ordering: .relaxed)
            if let reply = message.replyTo { try? connection.reply(to: reply, status: .ok, payload: message.payload) }
        }
        try await connection.flush()
        let router = RouterService(
            connection: connection, jetStream: jetStream,
            source: StaticRouteSource(text: BenchDelivery.rules, version: "bench:1"), config: config.router,
            readiness: Readiness(),
            logger: logger)
        let delivery = DeliveryService(jetStream: jetStream, config: config, logger: logger)
        let group = ServiceGroup(services: [router, delivery], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            await router.waitUntilRouting()
            await delivery.waitUntilConsuming("benchsvc")
            do {
                try await latency(client, handled: handled)
                try await throughput(client, jetStream: jetStream, handled: handled)
                if deadLetters > 0 { try await listing(jetStream) }
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        _ = backend
        client.close()
        connection.close()
    }

    private func envelope(_ type: String, expect: Expect) -> (Headers, [UInt8]) {
        var envelope = Envelope(type: type, source: .internal, payload: Array(repeating: UInt8(ascii: "x"), count: 64))
        envelope.expect = expect
        return (envelope.headers, envelope.payload)
    }

    /// Sequential requests through the router, answered by the backend: at-most-once and
    /// at-least-once (stored, delivered, answer forwarded), interleaved so both see the
    /// same machine.
    private func latency(_ client: NATSConnection, handled: borrowing Atomic<Int>) async throws {
        var samples: [String: [Double]] = ["bench.amo": [], "bench.alo": []]
        let clock = ContinuousClock()
        for index in 0..<(requests + 200) {
            for type in ["bench.amo", "bench.alo"] {
                let (headers, payload) = envelope(type, expect: .reply)
                let start = clock.now
                let answer = try await client.request(
                    "fabric.in.\(type)", headers: headers, payload: payload, timeout: .seconds(10))
                guard answer.headers[HeaderName.status] == "ok" else {
                    throw ValidationFailure(message: "\(type): \(answer.headers[HeaderName.error] ?? "not ok")")
                }
                if index >= 200 { samples[type]!.append((clock.now - start).inSeconds * 1e6) }
            }
        }
        func quantile(_ values: [Double], _ q: Double) -> Double {
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]
        }
        let atMost = samples["bench.amo"]!
        let atLeast = samples["bench.alo"]!
        for (label, values) in [("at-most-once ", atMost), ("at-least-once", atLeast)] {
            print(
                String(
                    format: "request/reply %@ n=%d  p50=%.0fus  p99=%.0fus", label, values.count, quantile(values, 0.5),
                    quantile(values, 0.99)))
        }
        print(
            String(
                format: "added by at-least-once: p50=%+.0fus  p99=%+.0fus", quantile(atLeast, 0.5) - quantile(atMost, 0.5),
                quantile(atLeast, 0.99) - quantile(atMost, 0.99)))
    }

    /// `messages` publishes acknowledged once stored, `window` at a time, until the
    /// backend handled every one and the consumer acked it.
    private func throughput(_ client: NATSConnection, jetStream: JetStream, handled: borrowing Atomic<Int>) async throws {
        let before = handled.load(ordering: .relaxed)
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<messages {
                if index >= window { try await group.next() }
                group.addTask {
                    let (headers, payload) = envelope("bench.alo", expect: .ack)
                    let answer = try await client.request(
                        "fabric.in.bench.alo", headers: headers, payload: payload, timeout: .seconds(30))
                    guard answer.headers[HeaderName.status] == "ok" else {
                        throw ValidationFailure(message: "store: \(answer.headers[HeaderName.error] ?? "not ok")")
                    }
                }
            }
            try await group.waitForAll()
        }
        let stored = clock.now - start
        while handled.load(ordering: .relaxed) - before < messages { try await Task.sleep(for: .milliseconds(1)) }
        while try await jetStream.streamInfo(FabricNames.Stream.work).messages > 0 { try await Task.sleep(for: .milliseconds(5)) }
        let done = clock.now - start
        print(
            String(
                format:
                    "at-least-once end to end  n=%d  stored=%.0f msg/s  delivered+acked=%.0f msg/s (window %d, concurrency %d)",
                messages, Double(messages) / stored.inSeconds, Double(messages) / done.inSeconds, window, concurrency))
    }

    /// Fills `FABRIC_DLQ` with `deadLetters` entries over 8 services and 3 reasons, then
    /// times the reads `fabric dlq list` and `stats` make.
    private func listing(_ jetStream: JetStream) async throws {
        let reasons: [DeadLetterReason] = [.error, .maxAttempts, .expired]
        let payload = Array(#"{"order":42,"note":"bench"}"#.utf8)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<deadLetters {
                if index >= 512 { try await group.next() }
                group.addTask {
                    let service = "svc\(index % 8)"
                    let id = FabricID.generate()
                    var original = Envelope(type: "order.created", source: .http, payload: payload, id: id).headers
                    original.set(HeaderName.natsMsgId, "\(id).\(service)")
                    let now = WallClock.nowMillis()
                    let headers = DeadLetterHeaders.make(
                        original: original, originalSubject: FabricNames.Subject.work(service: service),
                        reason: reasons[index % 3], attempts: 5, status: .unavailable, error: "bench", firstFailure: now,
                        lastFailure: now)
                    _ = try await jetStream.publish(
                        FabricNames.Subject.deadLetter(service: service), headers: headers, payload: payload,
                        messageID: "\(id).\(service)")
                }
            }
            try await group.waitForAll()
        }
        let store = DeadLetterStore(jetStream: jetStream)
        let clock = ContinuousClock()
        func time(_ label: String, _ body: () async throws -> Int) async throws {
            let start = clock.now
            let count = try await body()
            print(String(format: "dlq %@ (%d entries): %.1f ms", label, count, (clock.now - start).inSeconds * 1000))
        }
        print("FABRIC_DLQ holds \(try await jetStream.streamInfo(FabricNames.Stream.deadLetter).messages) entries")
        try await time("list newest 100") { try await store.list(DeadLetterQuery(limit: 100)).count }
        try await time("list --service svc3, 100") { try await store.list(DeadLetterQuery(service: "svc3", limit: 100)).count }
        try await time("list --reason expired, 100") {
            try await store.list(DeadLetterQuery(reason: "expired", limit: 100)).count
        }
        try await time("stats") { Int(try await store.stats().total) }
    }
}
