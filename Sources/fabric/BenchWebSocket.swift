import FabricCore
import FabricNATS
import Foundation
import Logging
import NIOCore
import Synchronization

/// The measurements of `fabric bench ws`, run the same way against each target.
struct BenchWebSocket {
    /// A WebSocket server to measure.
    enum Target {
        /// The fabric's adapter (`/v1/ws`, frames).
        case fabric(url: String, token: String, pid: Int32?)
        /// nats-server's own WebSocket listener (the NATS client protocol over WebSocket).
        case nats(url: String, pid: Int32?)

        var name: String {
            switch self {
            case .fabric: "fabric ws"
            case .nats: "nats-server ws"
            }
        }

        var pid: Int32? {
            switch self {
            case .fabric(_, _, let pid), .nats(_, let pid): pid
            }
        }
    }

    let natsURL: String
    let targets: [Target]
    let idleCounts: [Int]
    let subscribers: Int
    let messages: Int
    let samples: Int

    static let logger = Logger(label: "bench-ws")

    func run() async throws {
        let publisher = try await NATSConnection.connect(NATSOptions(urls: [natsURL], name: "bench-ws"), logger: Self.logger)
        var rows: [String] = []
        for target in targets {
            for count in idleCounts {
                let (held, perConnection) = try await idle(target, count: count)
                rows.append(
                    "| \(target.name) | idle connections held | \(held) of \(count) | "
                        + (perConnection.map { String(format: "%.1f KiB resident each", $0) } ?? "(no pid)") + " |")
                print(rows.last!)
            }
            let (rate, p50, p99) = try await fanout(target, publisher: publisher)
            rows.append(
                "| \(target.name) | fan-out to \(subscribers) subscribers | \(String(format: "%.0f", rate)) deliveries/s | "
                    + String(format: "p50 %.2f ms, p99 %.2f ms", p50, p99) + " |")
            print(rows.last!)
        }
        print("\n| server | measure | result | detail |\n| --- | --- | ---: | --- |")
        rows.forEach { print($0) }
        publisher.close()
    }

    // MARK: Clients

    /// Opens one client; returns once it is subscribed (or ready, without a topic).
    func open(_ target: Target, topic: Bool, onPayload: @escaping @Sendable (UInt64) -> Void) async throws -> BenchClient {
        BenchClient(channel: try await BenchSocket.connect(target, topic: topic, onPayload: onPayload))
    }

    // MARK: Idle connections

    private func idle(_ target: Target, count: Int) async throws -> (held: Int, kibEach: Double?) {
        let before = target.pid.flatMap(Self.residentKiB)
        var clients: [BenchClient] = []
        clients.reserveCapacity(count)
        // Opened a few hundred at a time: a listener's accept backlog is finite.
        for start in stride(from: 0, to: count, by: 200) {
            let opened = try await withThrowingTaskGroup(of: BenchClient?.self) { group in
                for _ in start..<min(count, start + 200) {
                    group.addTask { try? await open(target, topic: false) { _ in } }
                }
                var batch: [BenchClient] = []
                for try await client in group { if let client { batch.append(client) } }
                return batch
            }
            clients += opened
        }
        // Let the server settle what each connection allocated on its first frames.
        try await Task.sleep(for: .seconds(1))
        let after = target.pid.flatMap(Self.residentKiB)
        let each = before.flatMap { before in after.map { Double($0 - before) / Double(max(1, clients.count)) } }
        for client in clients { client.stop() }
        try await Task.sleep(for: .seconds(1))
        return (clients.count, each)
    }

    // MARK: Fan-out

    private func fanout(_ target: Target, publisher: NATSConnection) async throws -> (rate: Double, p50: Double, p99: Double) {
        let received = Atomic<Int>(0)
        let latencies = Mutex<[UInt64]>([])
        let first = Atomic<UInt64>(0)
        let last = Atomic<UInt64>(0)
        var clients: [BenchClient] = []
        for _ in 0..<subscribers {
            clients.append(
                try await open(target, topic: true) { stamp in
                    let now = DispatchTime.now().uptimeNanoseconds
                    received.add(1, ordering: .relaxed)
                    last.store(now, ordering: .relaxed)
                    latencies.withLock { $0.append(now &- stamp) }
                })
        }
        let subject: String
        var headers: Headers?
        switch target {
        case .fabric:
            subject = FabricNames.Subject.outTopic(try Topic("bench/fanout"))
            var envelope = Envelope(type: "bench.item", source: .internal)
            envelope.topic = "bench/fanout"
            headers = envelope.headers
        case .nats:
            subject = "bench.fanout"
        }
        func publish() throws {
            let payload = Array(
                #"{"t":\#(DispatchTime.now().uptimeNanoseconds),"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#.utf8)
            try publisher.publish(subject, headers: headers, payload: payload)
        }
        // Throughput: back to back.
        first.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
        for _ in 0..<messages { try publish() }
        let expected = messages * subscribers
        let deadline = ContinuousClock.now + .seconds(120)
        while received.load(ordering: .relaxed) < expected, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        let seconds = Double(last.load(ordering: .relaxed) &- first.load(ordering: .relaxed)) / 1e9
        let rate = Double(received.load(ordering: .relaxed)) / max(seconds, 1e-9)
        // Latency: one message at a time, each once every subscriber has it.
        latencies.withLock { $0 = [] }
        for index in 0..<samples {
            let target = expected + (index + 1) * subscribers
            try publish()
            let sampleDeadline = ContinuousClock.now + .seconds(10)
            while received.load(ordering: .relaxed) < target, ContinuousClock.now < sampleDeadline {
                try await Task.sleep(for: .microseconds(200))
            }
        }
        var sorted = latencies.withLock { $0 }
        sorted.sort()
        func quantile(_ q: Double) -> Double {
            sorted.isEmpty ? .nan : Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]) / 1e6
        }
        for client in clients { client.stop() }
        try await Task.sleep(for: .seconds(1))
        return (rate, quantile(0.5), quantile(0.99))
    }

    /// Resident memory of a process, in KiB.
    static func residentKiB(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        return status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
    }
}

/// One benchmark client: its connection.
struct BenchClient: Sendable {
    let channel: any Channel

    /// Closes the connection.
    func stop() { channel.close(promise: nil) }
}

/// A benchmark that could not run.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
