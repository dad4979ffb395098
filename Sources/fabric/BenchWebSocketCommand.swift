import ArgumentParser
import Foundation

/// `fabric bench ws`: connections held and memory per idle connection, fan-out throughput
/// and publish→deliver latency through the WebSocket adapter, side by side with the same
/// clients on nats-server's own WebSocket listener (`scripts/bench-ws` sets both up).
struct BenchWebSocketCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ws", abstract: "WebSocket adapter: idle memory, fan-out rate and latency beside nats-server's listener.")

    @Option(help: "The adapter's listener (ws://host:port).") var url: String
    @Option(help: "A token the adapter accepts.") var token: String
    @Option(name: .customLong("nats-url"), help: "The nats-server both sides use (the publisher connects here).")
    var natsURL: String = "nats://127.0.0.1:4222"
    @Option(name: .customLong("nats-ws-url"), help: "nats-server's own WebSocket listener (ws://host:port); omit to skip.")
    var natsWebSocketURL: String?
    @Option(help: "Process id of the adapter (for its resident memory).") var pid: Int32?
    @Option(name: .customLong("nats-pid"), help: "Process id of nats-server (for its resident memory).") var natsPID: Int32?
    @Option(help: "Idle connection counts to hold, comma separated.") var idle: String = "1000"
    @Option(help: "Subscribers of the fan-out run.") var subscribers: Int = 1000
    @Option(help: "Messages published back to back in the throughput run.") var messages: Int = 100
    @Option(help: "Messages published one at a time in the latency run.") var samples: Int = 200

    func run() async throws {
        let counts = idle.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        var targets = [BenchWebSocket.Target.fabric(url: url, token: token, pid: pid)]
        if let natsWebSocketURL { targets.append(.nats(url: natsWebSocketURL, pid: natsPID)) }
        try await BenchWebSocket(
            natsURL: natsURL, targets: targets, idleCounts: counts, subscribers: subscribers, messages: messages,
            samples: samples
        ).run()
    }
}
