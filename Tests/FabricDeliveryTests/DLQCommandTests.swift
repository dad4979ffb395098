import FabricCore
import FabricDelivery
import FabricNATS
import FabricTestSupport
import Foundation
import Synchronization
import Testing

@Suite("fabric dlq", .timeLimit(.minutes(3)))
struct DLQCommandTests {
    /// Stores a dead letter as delivery writes one.
    @discardableResult
    func deadLetter(
        _ harness: DeliveryHarness, service: String, reason: DeadLetterReason, payload: [UInt8] = Array(#"{"order":42}"#.utf8)
    ) async throws -> UInt64 {
        try await harness.storeDeadLetter(service: service, reason: reason, payload: payload)
    }

    func fabric(_ harness: DeliveryHarness, _ arguments: [String]) async throws -> (status: Int32?, output: String) {
        try await FabricBinary.run(["dlq"] + arguments + ["--nats-url", harness.server.url])
    }

    func listJSON(_ harness: DeliveryHarness, _ arguments: [String] = []) async throws -> [[String: Any]] {
        let result = try await fabric(harness, ["list", "--json"] + arguments)
        #expect(result.status == 0, "\(result.output)")
        let data = Data(result.output.utf8)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]], "\(result.output)")
    }

    @Test func listJSONParsesAndFilters() async throws {
        try await DeliveryHarness.run { harness in
            for (service, reason) in [("alpha", DeadLetterReason.error), ("beta", .maxAttempts), ("alpha", .maxAttempts)] {
                try await deadLetter(harness, service: service, reason: reason)
            }
            let all = try await listJSON(harness)
            #expect(all.map { $0["sequence"] as? Int } == [3, 2, 1], "newest first")
            let first = try #require(all.last)
            #expect(first["service"] as? String == "alpha")
            #expect(first["reason"] as? String == "error")
            #expect(first["attempts"] as? Int == 3)
            #expect(first["type"] as? String == "order.created")
            #expect(first["original_subject"] as? String == "fabric.work.alpha")
            #expect(first["size"] as? Int == 12)
            #expect((first["time"] as? String).flatMap(RFC3339.parse) != nil)
            #expect(try await listJSON(harness, ["--service", "alpha"]).map { $0["sequence"] as? Int } == [3, 1])
            #expect(try await listJSON(harness, ["--reason", "max-attempts"]).map { $0["sequence"] as? Int } == [3, 2])
            #expect(try await listJSON(harness, ["--limit", "1"]).map { $0["sequence"] as? Int } == [3])
            #expect(try await listJSON(harness, ["--since", "1h"]).count == 3)
            #expect(try await listJSON(harness, ["--since", "2200-01-01"]).isEmpty)
            let table = try await fabric(harness, ["list"])
            #expect(table.status == 0)
            #expect(table.output.contains("SEQ"))
            #expect(table.output.contains("max-attempts"))
        }
    }

    @Test func showPrettyPrintsJSONAndDumpsBinaryAsHex() async throws {
        try await DeliveryHarness.run { harness in
            let json = try await deadLetter(harness, service: "alpha", reason: .error)
            let binary = try await deadLetter(harness, service: "alpha", reason: .error, payload: [0, 1, 2, 0xFF, 65])
            let shown = try await fabric(harness, ["show", String(json)])
            #expect(shown.status == 0, "\(shown.output)")
            #expect(shown.output.contains("reason            error"))
            #expect(shown.output.contains("Fabric-DLQ-Reason: error"))
            #expect(shown.output.contains("\"order\" : 42"))
            let dumped = try await fabric(harness, ["show", String(binary)])
            #expect(dumped.output.contains("00000000  00 01 02 ff 41"), "\(dumped.output)")
        }
    }

    @Test func replayDeliversOnceAndEmptiesTheEntry() async throws {
        try await DeliveryHarness.run { harness in
            let healthy = Atomic<Bool>(false)
            let backend = try await TestBackend.start(harness.connection, service: "mended") { _ in
                healthy.load(ordering: .relaxed) ? .ok() : .retry("down")
            }
            let policy = RetryPolicy(attempts: 2, initial: .milliseconds(10), max: .milliseconds(10), multiplier: 1, jitter: 0)
            try await harness.with([harness.delivery()]) {
                let id = FabricID.generate()
                try await harness.storeWork(service: "mended", id: id, retry: policy)
                #expect(try await eventually { try await harness.count(FabricNames.Stream.deadLetter) == 1 })
                #expect(backend.deliveries(of: id).count == 2)
                let sequence = try #require(try await listJSON(harness).first?["sequence"] as? Int)
                healthy.store(true, ordering: .relaxed)
                let replayed = try await fabric(harness, ["replay", String(sequence)])
                #expect(replayed.status == 0, "\(replayed.output)")
                #expect(await eventually { backend.deliveries(of: id).count == 3 })
                #expect(try await eventually { try await harness.count(FabricNames.Stream.work) == 0 })
                #expect(backend.deliveries(of: id).map(\.attempt) == [1, 2, 1], "attempts start over")
                #expect(try await harness.count(FabricNames.Stream.deadLetter) == 0)
                #expect(try await listJSON(harness).isEmpty)
            }
        }
    }

    @Test func replayAllToAnotherServiceMovesEveryEntry() async throws {
        try await DeliveryHarness.run { harness in
            for _ in 0..<3 { try await deadLetter(harness, service: "alpha", reason: .error) }
            try await deadLetter(harness, service: "beta", reason: .error)
            let result = try await fabric(harness, ["replay", "--all", "--service", "alpha", "--to", "gamma"])
            #expect(result.status == 0, "\(result.output)")
            #expect(try await harness.count(FabricNames.Stream.work, subject: "fabric.work.gamma") == 3)
            #expect(try await listJSON(harness).map { $0["service"] as? String } == ["beta"])
            let stored = try #require(
                try await harness.jetStream.directGet(
                    stream: FabricNames.Stream.work, .next(subject: "fabric.work.gamma", from: 0)))
            #expect(stored.headers[HeaderName.deadLetterReason] == nil)
            #expect(stored.headers[HeaderName.natsMsgId]?.contains(".gamma.replay-") == true)
        }
    }

    @Test func purgeAsksUnlessYesAndHonoursItsFilters() async throws {
        try await DeliveryHarness.run { harness in
            for service in ["alpha", "alpha", "beta"] { try await deadLetter(harness, service: service, reason: .error) }
            let refused = try await fabric(harness, ["purge"])
            #expect(refused.status != 0)
            #expect(refused.output.contains("purge 3 dead letters?"))
            #expect(refused.output.contains("not purged"))
            #expect(try await harness.count(FabricNames.Stream.deadLetter) == 3)
            let young = try await fabric(harness, ["purge", "--older-than", "1h", "--yes"])
            #expect(young.status == 0)
            #expect(young.output.contains("nothing to purge"))
            let alpha = try await fabric(harness, ["purge", "--service", "alpha", "--yes"])
            #expect(alpha.output.contains("purged 2 dead letters"), "\(alpha.output)")
            #expect(try await listJSON(harness).map { $0["service"] as? String } == ["beta"])
            let rest = try await fabric(harness, ["purge", "--older-than", "0s", "--yes"])
            #expect(rest.output.contains("purged 1 dead letter"), "\(rest.output)")
            #expect(try await harness.count(FabricNames.Stream.deadLetter) == 0)
        }
    }

    @Test func statsCountByServiceAndReason() async throws {
        try await DeliveryHarness.run { harness in
            for (service, reason) in [
                ("alpha", DeadLetterReason.error), ("alpha", .error), ("alpha", .expired), ("beta", .maxAttempts),
            ] {
                try await deadLetter(harness, service: service, reason: reason)
            }
            let result = try await fabric(harness, ["stats", "--json"])
            #expect(result.status == 0, "\(result.output)")
            let stats = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
            #expect(stats["total"] as? Int == 4)
            let counts = try #require(stats["counts"] as? [String: [String: Int]])
            #expect(counts["alpha"] == ["error": 2, "expired": 1])
            #expect(counts["beta"] == ["max-attempts": 1])
            let table = try await fabric(harness, ["stats"])
            #expect(table.output.contains("alpha    error         2"), "\(table.output)")
            // The server can come from the configuration file instead of --nats-url.
            let directory = try makeTemporaryDirectory()
            try "nats:\n  urls: [\(harness.server.url)]\n".write(
                toFile: "\(directory)/fabric.yaml", atomically: true, encoding: .utf8)
            let configured = try await FabricBinary.run(["dlq", "stats", "--json", "--config", "\(directory)/fabric.yaml"])
            #expect(configured.status == 0, "\(configured.output)")
            #expect(configured.output.contains("\"total\":4"))
        }
    }

    @Test func errorsAreClearAndExitNonZero() async throws {
        try await DeliveryHarness.run { harness in
            try await deadLetter(harness, service: "alpha", reason: .error)
            for arguments in [["show", "999"], ["replay", "999"]] {
                let result = try await fabric(harness, arguments)
                #expect(result.status != 0, "\(arguments)")
                #expect(result.output.contains("no dead letter with sequence 999"), "\(arguments): \(result.output)")
            }
            let unreachable = "nats://127.0.0.1:\(try FreePort.next())"
            for arguments in [["list"], ["show", "1"], ["replay", "1"], ["purge", "--yes"], ["stats"]] {
                let result = try await FabricBinary.run(["dlq"] + arguments + ["--nats-url", unreachable])
                #expect(result.status != 0, "\(arguments)")
                #expect(result.output.contains("cannot reach NATS at \(unreachable)"), "\(arguments): \(result.output)")
            }
            let neither = try await fabric(harness, ["replay"])
            #expect(neither.status != 0)
            #expect(neither.output.contains("or --all"))
            let badService = try await fabric(harness, ["list", "--service", "no.dots"])
            #expect(badService.status != 0)
            #expect(badService.output.contains("not a service name"))
            // Nothing was lost on the way.
            #expect(try await harness.count(FabricNames.Stream.deadLetter) == 1)
        }
    }
}
