import ArgumentParser
import FabricCore
import FabricExamples
import FabricNATS
import FabricObservability
import FabricRouter
import FabricService
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// `fabric bench router`: matching cost by rule count, routing throughput and the latency
/// the router adds, each beside its baseline in the same run.
struct BenchRouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "router", abstract: "Router matching cost, throughput and added latency against a running nats-server.")

    @Option(name: .customLong("nats-url"), help: "nats-server to measure against (with JetStream).")
    var natsURL: String = "nats://127.0.0.1:4222"

    @Option(name: .short, help: "Sequential requests per latency path.")
    var requests: Int = 20000

    @Option(name: .customLong("messages"), help: "Messages for the throughput runs.")
    var messages: Int = 200_000

    @Flag(name: .customLong("external-router"), help: "Measure a `fabric router` process already running with the bench rules.")
    var externalRouter = false

    /// The rules the benchmark routes with (also for an external router).
    static let rules = """
        version: 1
        routes:
          - name: echo
            match: { type: "bench.echo" }
            to: bench-echo
          - name: sdk
            match: { type: "bench.sdk" }
            to: bench-sdk
          - name: flood
            match: { type: "bench.flood" }
            to: bench-sink
        """

    func run() async throws {
        BenchMatching.run()
        try await BenchRouting(url: natsURL, requests: requests, messages: messages, externalRouter: externalRouter).run()
    }
}

/// Matching cost with 10, 1,000 and 10,000 rules.
enum BenchMatching {
    static func rules(_ count: Int) -> RouteSet {
        var routes: [Route] = []
        for index in 0..<count {
            var match = RouteMatch()
            match.type = try? TypePattern("t\(index).event")
            routes.append(Route(name: "r\(index)", index: index, match: match, to: ["svc"]))
        }
        var wildcard = RouteMatch()
        wildcard.type = try? TypePattern("t*.>")
        var hot = RouteMatch()
        hot.type = try? TypePattern("sensor.*")
        hot.payload = [(try! JSONPointer("/reading/celsius"), ValueCondition([.gt(50)]))]
        routes.append(Route(name: "hot", index: count, match: hot, to: ["alerts"]))
        routes.append(Route(name: "never", index: count + 1, match: wildcard, to: ["x"]))
        return RouteSet(version: "bench", routes: routes)
    }

    static func run() {
        for count in [10, 1000, 10_000] {
            let matcher = RouteMatcher(rules(count))
            let target = "t\(count / 2).event"
            let plain = measure(matcher) { RoutingInput(type: target, principal: "alice", roles: ["r"]) }
            let payload = Array(#"{"sensor":"s1","reading":{"celsius":72.5,"unit":"C"}}"#.utf8)
            let withPayload = measure(matcher) { RoutingInput(type: "sensor.temp", principal: "alice", payload: payload) }
            print(
                String(
                    format: "matching %5d rules: %6.0f ns/envelope by type, %6.0f ns with a payload predicate", count, plain,
                    withPayload))
        }
    }

    private static func measure(_ matcher: RouteMatcher, _ make: () -> RoutingInput) -> Double {
        let iterations = 200_000
        var routed = 0
        for _ in 0..<10_000 {
            var input = make()
            if case .routed = matcher.match(&input) { routed += 1 }
        }
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<iterations {
            var input = make()
            if case .routed = matcher.match(&input) { routed += 1 }
        }
        precondition(routed > 0)
        return (clock.now - start).inSeconds * 1e9 / Double(iterations)
    }
}

/// Throughput and added latency of the router on a real nats-server.
struct BenchRouting {
    let url: String
    let requests: Int
    let messages: Int
    let externalRouter: Bool

    func run() async throws {
        let logger = Logger(label: "bench")
        let options = NATSOptions(urls: [url], name: "bench-router")
        let client = try await NATSConnection.connect(options, logger: logger)
        let routerConnection = try await NATSConnection.connect(options, logger: logger)
        let backend = try await NATSConnection.connect(options, logger: logger)
        // The flood's load generator batches its writes (nats.c's buffered mode, as `nats bench`
        // does): one write per message would spend the shared two cores on the generator's
        // system calls and nats-server's wake-ups instead of on the router being measured.
        var floodOptions = options
        floodOptions.name = "bench-flood"
        floodOptions.sendAsap = false
        let flooder = try await NATSConnection.connect(floodOptions, logger: logger)
        let jetStream = try JetStream(routerConnection)
        var settings = FabricConfig.defaults.jetstream
        settings.inMemory = true
        try await FabricTopology(config: settings).ensure(on: jetStream)

        let source = StaticRouteSource(text: BenchRouterCommand.rules, version: "bench")
        let router = RouterService(
            connection: routerConnection, jetStream: jetStream, source: source, config: FabricConfig.defaults.router,
            readiness: Readiness(), logger: logger)
        let responder = try backend.subscribe(to: "fabric.svc.bench-echo", queue: "svc") { message in
            if let reply = message.replyTo { try? backend.publish(reply, payload: message.payload) }
        }
        let sdk = EchoBackend.make(connection: backend, jetStream: try JetStream(backend), name: "bench-sdk")
        let group = ServiceGroup(services: externalRouter ? [sdk] : [router, sdk], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            if !externalRouter { await router.waitUntilRouting() }
            await sdk.waitUntilReady()
            try await backend.flush()

            try await latency(client, subject: "fabric.svc.bench-echo", envelopeType: nil, label: "direct to backend (2 hops)")
            try await latency(client, subject: "fabric.in.bench.echo", envelopeType: "bench.echo", label: "via router (3 hops)")
            try await latency(client, subject: "fabric.in.bench.sdk", envelopeType: "bench.sdk", label: "via router to SDK echo")
            let direct = try await throughput(
                flooder, receiver: backend, subject: "fabric.svc.bench-sink", label: "direct publish→subscribe")
            let routed = try await throughput(
                flooder, receiver: backend, subject: "fabric.in.bench.flood", label: "via router, at-most-once")
            print(String(format: "router throughput ratio: %.2f of direct", routed / direct))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        _ = responder
        client.close()
        flooder.close()
        routerConnection.close()
        backend.close()
    }

    private func envelope(_ type: String) -> Headers {
        var envelope = Envelope(type: type, source: .http, payload: [])
        envelope.claims = Claims(principal: "alice", roles: ["reader"], tenant: "acme")
        envelope.correlationID = "bench-correlation"
        envelope.expect = .reply
        envelope.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        return envelope.headers
    }

    private func latency(_ client: NATSConnection, subject: String, envelopeType: String?, label: String) async throws {
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: 64)
        let headers = envelopeType.map(envelope)
        for _ in 0..<1000 { _ = try await client.request(subject, headers: headers, payload: payload, timeout: .seconds(2)) }
        var samples: [Double] = []
        samples.reserveCapacity(requests)
        let clock = ContinuousClock()
        let started = clock.now
        for _ in 0..<requests {
            let start = clock.now
            _ = try await client.request(subject, headers: headers, payload: payload, timeout: .seconds(5))
            samples.append((clock.now - start).inSeconds * 1e6)
        }
        let seconds = (clock.now - started).inSeconds
        samples.sort()
        func quantile(_ q: Double) -> Double { samples[min(samples.count - 1, Int(Double(samples.count) * q))] }
        print(
            String(
                format: "request %-28@ n=%-6d p50=%.1fus  p90=%.1fus  p99=%.1fus  p99.9=%.1fus  rate=%.0f req/s",
                label as NSString, requests, quantile(0.5), quantile(0.9), quantile(0.99), quantile(0.999),
                Double(requests) / seconds))
    }

    /// Messages per second delivered to a subscriber of `fabric.svc.bench-sink`.
    private func throughput(
        _ publisher: NATSConnection, receiver: NATSConnection, subject: String, label: String
    ) async throws -> Double {
        let received = Atomic<Int>(0)
        let window = 2000
        // The sink reports every `window` messages, so the publisher keeps at most two
        // windows in flight and cannot outrun the router into slow-consumer drops.
        let (progress, report) = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .bufferingNewest(16))
        let total = messages
        let sink = try receiver.subscribe(to: "fabric.svc.bench-sink") { _ in
            let count = received.add(1, ordering: .relaxed).newValue
            if count % window == 0 || count == total { report.yield(count) }
            if count == total { report.finish() }
        }
        try await receiver.flush()
        var headers = envelope("bench.flood")
        headers.set(HeaderName.expect, Expect.none.rawValue)
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: 64)
        let clock = ContinuousClock()
        let start = clock.now
        var sent = 0
        var acknowledged = 0
        var updates = progress.makeAsyncIterator()
        while sent < total {
            while sent - acknowledged >= 2 * window, let count = await updates.next() { acknowledged = count }
            let batch = min(window, total - sent)
            for _ in 0..<batch { try publisher.publish(subject, headers: headers, payload: payload) }
            sent += batch
        }
        while acknowledged < total, let count = await updates.next() { acknowledged = count }
        let rate = Double(total) / (clock.now - start).inSeconds
        sink.unsubscribe()
        print(String(format: "throughput %-28@ n=%-7d %.0f msg/s", label as NSString, total, rate))
        return rate
    }
}
