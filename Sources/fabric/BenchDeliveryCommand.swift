import ArgumentParser

/// `fabric bench delivery`: at-least-once throughput and added latency against the
/// at-most-once path for the same backend in the same run, and dead-letter listing time.
struct BenchDeliveryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delivery",
        abstract: "At-least-once throughput and added latency, and dlq list/stats time (use a scratch nats-server).")

    @Option(name: .customLong("nats-url"), help: "A scratch nats-server with JetStream (its fabric streams are emptied).")
    var natsURL: String = "nats://127.0.0.1:4222"

    @Option(help: "Messages for the throughput run.") var messages: Int = 20000
    @Option(help: "Publishes waiting for their store acknowledgement at once.") var window: Int = 256
    @Option(help: "Sequential requests per path for the latency run.") var requests: Int = 2000
    @Option(help: "Delivery concurrency of the bench service.") var concurrency: Int = 256
    @Option(name: .customLong("dlq-entries"), help: "Dead letters to fill FABRIC_DLQ with (0 skips the listing run).")
    var deadLetters: Int = 100_000

    func run() async throws {
        try await BenchDelivery(
            url: natsURL, messages: messages, window: window, requests: requests, concurrency: concurrency,
            deadLetters: deadLetters
        ).run()
    }
}
