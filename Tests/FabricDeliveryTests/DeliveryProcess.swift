import FabricTestSupport
import Foundation
import Testing

/// `fabric delivery` as a real child process, as a cluster runs it.
struct DeliveryProcess {
    let process: ChildProcess
    let admin: String

    /// Settings every child gets: the test's short intervals, as environment overrides.
    static let environment = [
        "FABRIC_DELIVERY__DISCOVERY_INTERVAL": "50ms", "FABRIC_DELIVERY__PULL_EXPIRY": "2s",
        "FABRIC_DELIVERY__METRICS_INTERVAL": "100ms", "FABRIC_DELIVERY__OUTBOX__EXPIRY_INTERVAL": "100ms",
        "FABRIC_DELIVERY__OUTBOX__RETRY_DELAY": "50ms", "FABRIC_JETSTREAM__IN_MEMORY": "true",
    ]

    /// Starts an instance and waits until it consumes each of `services`.
    static func start(
        _ harness: DeliveryHarness, services: [String], environment: [String: String] = [:]
    ) async throws -> DeliveryProcess {
        let url = harness.server.url
        var merged = DeliveryProcess.environment
        for (key, value) in environment { merged[key] = value }
        for service in services { merged["FABRIC_DELIVERY__SERVICES__\(service.uppercased())__CONCURRENCY"] = "16" }
        let process = harness.children.adopt(
            try FabricBinary.start(
                ["delivery", "--nats-url", url, "--admin-port", "0", "--log-format", "json"], environment: merged))
        let adminLine = try #require(await process.waitForLine(containing: "admin ", timeout: .seconds(60)), "\(process.output)")
        for service in services {
            #expect(
                await process.waitForLine(containing: "\"service\":\"\(service)\"", timeout: .seconds(30)) != nil,
                "\(process.output)")
        }
        return DeliveryProcess(process: process, admin: String(adminLine.split(separator: " ").last!))
    }

    /// The value of a metric in this instance's Prometheus text, summed over label sets
    /// that contain `labels`.
    func metric(_ name: String, labels: String = "") async throws -> Double {
        let text = try await HTTPProbe.get("\(admin)/metrics").body
        return text.split(separator: "\n").filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
            .filter { labels.isEmpty || $0.contains(labels) }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0, +)
    }
}
