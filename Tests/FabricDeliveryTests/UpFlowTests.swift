import FabricCore
import FabricTestSupport
import Foundation
import Testing

/// What a newcomer does with `fabric up`: watch a retry and a dead letter, inspect it.
@Suite("fabric up with delivery", .timeLimit(.minutes(2)))
struct UpFlowTests {
    @Test func aRetryAndADeadLetterCanBeWatchedAndInspected() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let up = try FabricBinary.start(
            [
                "up", "--nats-port", "0", "--admin-port", "0", "--http-port", "0", "--h2c-port", "0", "--ws-port", "0",
                "--data-dir",
                "\(directory)/data",
                "--log-format", "json",
            ])
        let adminLine = try #require(await up.waitForLine(containing: "admin ", timeout: .seconds(60)), "\(up.output)")
        let admin = String(adminLine.split(separator: " ").last!)
        let nats = try #require(up.lines.first { $0.hasPrefix("nats ") }.map { String($0.split(separator: " ").last!) })
        #expect(await eventually { (try? await HTTPProbe.get("\(admin)/readyz").status) == 200 })
        #expect(try await HTTPProbe.get("\(admin)/readyz").body.contains("delivery ok"))

        let retried = try await FabricBinary.run(["send", "job.demo", #"{"fail": 1}"#, "--nats-url", nats])
        #expect(retried.status == 0, "\(retried.output)")
        #expect(retried.output.contains(#"{"attempt":2}"#), "\(retried.output)")

        let failed = try await FabricBinary.run([
            "send", "job.demo", #"{"fail": "always"}"#, "--nats-url", nats, "--timeout", "30s",
        ])
        #expect(failed.status != 0)
        #expect(failed.output.contains("attempt 3 of 3"), "\(failed.output)")

        let listed = try await FabricBinary.run(["dlq", "list", "--json", "--nats-url", nats])
        #expect(listed.status == 0, "\(listed.output)")
        let letters = try #require(try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]])
        #expect(letters.count == 1)
        #expect(letters.first?["service"] as? String == "flaky")
        #expect(letters.first?["reason"] as? String == "max-attempts")
        #expect(letters.first?["attempts"] as? Int == 3)

        let metrics = try await HTTPProbe.get("\(admin)/metrics").body
        #expect(
            metrics.contains("fabric_delivery_dead_lettered_total{service=\"flaky\",reason=\"max-attempts\"} 1"), "\(metrics)")
        up.send(SIGTERM)
        #expect(await up.waitForExit(timeout: .seconds(30)) == 0)
    }
}
