import ArgumentParser
import FabricCore
import FabricNATS
import Foundation
import Logging
import Synchronization

/// `fabric bench`: load generators and latency reports for each path.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure the fabric's paths (figures for docs/performance.md).",
        subcommands: [
            BenchNATSCommand.self, BenchRouterCommand.self, BenchDeliveryCommand.self, BenchEnvelopeCommand.self,
            BenchWebSocketCommand.self,
        ])
}

/// `fabric bench nats`: envelope encode+decode, FabricNATS request/reply through a relay,
/// and publish→subscribe throughput, on the same shape as `../shared/bench/natsfloor.c`.
struct BenchNATSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nats", abstract: "FabricNATS request/reply latency and pub/sub throughput against a running nats-server.")

    @Option(name: .customLong("nats-url"), help: "nats-server to measure against.")
    var natsURL: String = "nats://127.0.0.1:4222"

    @Option(name: .short, help: "Sequential requests per path.")
    var requests: Int = 20000

    @Option(name: .customLong("messages"), help: "Messages for the throughput run.")
    var messages: Int = 1_000_000

    @Flag(name: .customLong("no-send-asap"), help: "Measure with nats.c's default buffered publishing.")
    var noSendAsap = false

    @Flag(name: .customLong("no-global-delivery"), help: "One nats.c thread per subscription instead of the shared pool.")
    var noGlobalDelivery = false

    func run() async throws {
        try await BenchNATS(
            url: natsURL, requests: requests, messages: messages, sendAsap: !noSendAsap, globalDelivery: !noGlobalDelivery
        ).run()
    }
}

/// The measurements of `fabric bench nats`.
struct BenchNATS {
    let url: String
    let requests: Int
    let messages: Int
    let sendAsap: Bool
    let globalDelivery: Bool

    func run() async throws {
        envelope()
        let options = NATSOptions(urls: [url], name: "bench", sendAsap: sendAsap, globalMessageDelivery: globalDelivery)
        let logger = Logger(label: "bench")
        let client = try await NATSConnection.connect(options, logger: logger)
        let relay = try await NATSConnection.connect(options, logger: logger)
        let responder = try await NATSConnection.connect(options, logger: logger)
        let relaySubscription = try relay.subscribe(to: "bench.in.>", queue: "router") { message in
            try? relay.publish("bench.svc.echo", payload: message.payload, replyTo: message.replyTo)
        }
        let responderSubscription = try responder.subscribe(to: "bench.svc.echo", queue: "svc") { message in
            if let reply = message.replyTo { try? responder.publish(reply, payload: message.payload) }
        }
        try await relay.flush()
        try await responder.flush()
        try await latency(client, subject: "bench.svc.echo", label: "direct (2 broker hops)")
        try await latency(client, subject: "bench.in.echo", label: "via relay (3 broker hops)")
        try await throughput(client, receiver: responder)
        _ = (relaySubscription, responderSubscription)
        client.close()
        relay.close()
        responder.close()
    }

    private func latency(_ client: NATSConnection, subject: String, label: String) async throws {
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: 64)
        for _ in 0..<1000 { _ = try await client.request(subject, payload: payload, timeout: .seconds(2)) }
        var samples: [Double] = []
        samples.reserveCapacity(requests)
        let clock = ContinuousClock()
        let started = clock.now
        for _ in 0..<requests {
            let start = clock.now
            _ = try await client.request(subject, payload: payload, timeout: .seconds(5))
            samples.append((clock.now - start).inSeconds * 1e6)
        }
        let seconds = (clock.now - started).inSeconds
        samples.sort()
        func quantile(_ q: Double) -> Double { samples[min(samples.count - 1, Int(Double(samples.count) * q))] }
        print(
            String(
                format: "FabricNATS %-26@ n=%-7d p50=%.1fus  p90=%.1fus  p99=%.1fus  p99.9=%.1fus  rate=%.0f req/s",
                label as NSString, requests, quantile(0.5), quantile(0.9), quantile(0.99), quantile(0.999),
                Double(requests) / seconds))
    }

    private func throughput(_ publisher: NATSConnection, receiver: NATSConnection) async throws {
        let received = Atomic<Int>(0)
        let (done, finished) = AsyncStream.makeStream(of: Void.self)
        let total = messages
        let subscription = try receiver.subscribe(to: "bench.flood") { _ in
            if received.add(1, ordering: .relaxed).newValue == total { finished.finish() }
        }
        try await receiver.flush()
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: 64)
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<total { try publisher.publish("bench.flood", payload: payload) }
        let published = clock.now - start
        try await publisher.flush(timeout: .seconds(60))
        for await _ in done {}
        let elapsed = clock.now - start
        _ = subscription
        let publishRate = Double(total) / published.inSeconds
        let endToEnd = Double(total) / elapsed.inSeconds
        print(
            String(
                format: "FabricNATS pub/sub 64 B         n=%-7d publish=%.0f msg/s  delivered=%.0f msg/s", total, publishRate,
                endToEnd))
    }

    private func envelope() { BenchEnvelopeCommand.measure(iterations: 200_000) }
}

/// `fabric bench envelope`: encode+decode of a typical 12-header envelope, timed; run it
/// under `valgrind` with two iteration counts to count allocations per message
/// (`scripts/bench-alloc`).
struct BenchEnvelopeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "envelope", abstract: "Time envelope encode+decode (run under valgrind to count allocations).")

    @Option(help: "Encode+decode round trips.") var iterations = 200_000

    func run() { BenchEnvelopeCommand.measure(iterations: iterations) }

    static func measure(iterations: Int) {
        var envelope = Envelope(type: "order.created", source: .h2, payload: Array(repeating: 120, count: 64))
        envelope.correlationID = "c0ffee-1234"
        envelope.client = "alice~~s1"
        envelope.claims = Claims(principal: "alice", roles: ["admin", "ops"], tenant: "acme")
        envelope.priority = .normal
        envelope.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let headers = envelope.headers
        precondition(headers.count == 12)
        let clock = ContinuousClock()
        var checksum = 0
        let start = clock.now
        for _ in 0..<iterations {
            let encoded = envelope.headers
            let decoded = try! Envelope(headers: encoded, payload: envelope.payload)
            checksum &+= decoded.type.utf8.count
        }
        let perMessage = iterations == 0 ? 0 : (clock.now - start).inSeconds * 1e9 / Double(iterations)
        var encodeOnly = 0
        let encodeStart = clock.now
        for _ in 0..<iterations { encodeOnly &+= envelope.headers.count }
        let encodeTime = iterations == 0 ? 0 : (clock.now - encodeStart).inSeconds * 1e9 / Double(iterations)
        print(
            String(
                format: "envelope encode+decode, %d headers: %.0f ns/message (encode alone %.0f ns; checksum %d)", headers.count,
                perMessage, encodeTime, checksum &+ encodeOnly))
    }
}
