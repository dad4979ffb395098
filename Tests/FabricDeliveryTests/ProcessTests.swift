import FabricCore
import FabricNATS
import FabricTestSupport
import Foundation
import Testing

@Suite("Delivery processes", .timeLimit(.minutes(4)))
struct ProcessTests {
    @Test func twoDeliveryInstancesShareTheWorkAndHandleEachMessageOnce() async throws {
        try await DeliveryHarness.run { harness in
            let backend = try await TestBackend.start(harness.connection, service: "shared")
            let first = try await DeliveryProcess.start(harness, services: ["shared"])
            let second = try await DeliveryProcess.start(harness, services: ["shared"])
            var ids: Set<String> = []
            for _ in 0..<1000 {
                let id = FabricID.generate()
                ids.insert(id)
                try await harness.storeWork(service: "shared", id: id)
            }
            #expect(await eventually(timeout: .seconds(60)) { backend.distinctIDs.count == ids.count })
            #expect(backend.distinctIDs == ids)
            #expect(backend.count == ids.count, "no message handled twice")
            #expect(try await eventually { try await harness.count(FabricNames.Stream.work) == 0 })
            let byFirst = try await first.metric("fabric_delivery_successes_total")
            let bySecond = try await second.metric("fabric_delivery_successes_total")
            #expect(byFirst > 0)
            #expect(bySecond > 0)
            #expect(byFirst + bySecond == Double(ids.count))
            #expect(await first.process.stop() == 0)
            #expect(await second.process.stop() == 0)
        }
    }

    @Test func killNineOfDeliveryMidStreamLosesNoAcknowledgedMessage() async throws {
        try await DeliveryHarness.run { harness in
            let backend = try await TestBackend.start(harness.connection, service: "survivor", delay: .milliseconds(5))
            let environment = ["FABRIC_DELIVERY__ACK_WAIT": "1s"]
            let first = try await DeliveryProcess.start(harness, services: ["survivor"], environment: environment)
            var acknowledged: Set<String> = []
            func publish(_ count: Int) async throws {
                for _ in 0..<count {
                    let id = FabricID.generate()
                    let ack = try await harness.storeWork(service: "survivor", id: id)
                    if !ack.duplicate { acknowledged.insert(id) }
                }
            }
            try await publish(500)
            #expect(await eventually(timeout: .seconds(30)) { backend.distinctIDs.count >= 200 })
            first.process.send(SIGKILL)
            #expect(await first.process.waitForExit(timeout: .seconds(10)) == 128 + SIGKILL)
            let beforeRestart = backend.distinctIDs.count
            try await publish(500)
            let second = try await DeliveryProcess.start(harness, services: ["survivor"], environment: environment)
            #expect(await eventually(timeout: .seconds(60)) { backend.distinctIDs.count == acknowledged.count })
            #expect(backend.distinctIDs == acknowledged, "every acknowledged message delivered at least once")
            #expect(try await eventually { try await harness.count(FabricNames.Stream.work) == 0 })
            let duplicates = backend.count - acknowledged.count
            print(
                "kill -9 of delivery: \(acknowledged.count) acknowledged, \(backend.distinctIDs.count) delivered, "
                    + "\(beforeRestart) had reached the backend before the restart, \(duplicates) duplicates (attempts in flight at the kill)"
            )
            // Duplicates are the attempts in flight when the process died: at most its concurrency.
            #expect(duplicates <= 16)
            #expect(await second.process.stop() == 0)
        }
    }

    @Test func killNineOfRouterBetweenStoreAndAnswerStoresOneCopy() async throws {
        try await DeliveryHarness.run { harness in
            let backend = try await TestBackend.start(harness.connection, service: "ledger")
            let directory = try makeTemporaryDirectory()
            let rules = "\(directory)/routes.yaml"
            try """
            version: 1
            routes:
              - name: ledger
                match: { type: "entry.*" }
                to: ledger
                delivery: at-least-once
            """.write(toFile: rules, atomically: true, encoding: .utf8)
            func startRouter(crashAfter: Int?) async throws -> ChildProcess {
                var environment: [String: String] = [:]
                if let crashAfter { environment["FABRIC_TEST_CRASH_AFTER_STORE"] = String(crashAfter) }
                let router = harness.children.adopt(
                    try FabricBinary.start(
                        ["router", "--routes", rules, "--nats-url", harness.server.url, "--admin-port", "0"],
                        environment: environment))
                let adminLine = try #require(
                    await router.waitForLine(containing: "admin ", timeout: .seconds(60)), "\(router.output)")
                let admin = String(adminLine.split(separator: " ").last!)
                // Ready once its rules are in force and it subscribed.
                #expect(await eventually { (try? await HTTPProbe.get("\(admin)/readyz").status) == 200 }, "\(router.output)")
                return router
            }
            var router = try await startRouter(crashAfter: 300)
            let total = 1000
            var crashed: [String] = []
            try await harness.with([harness.delivery()]) {
                for index in 0..<total {
                    let id = FabricID.generate()
                    var envelope = Envelope(type: "entry.add", source: .http, payload: Array("\(index)".utf8), id: id)
                    envelope.expect = .ack
                    while true {
                        do {
                            let answer = try await harness.connection.request(
                                "fabric.in.entry.add", headers: envelope.headers, payload: envelope.payload, timeout: .seconds(2))
                            #expect(answer.headers[HeaderName.status] == "ok")
                            break
                        } catch let error as NATSError where error.code == .timeout {
                            // The router died after storing and before answering, or (on a
                            // loaded machine) answered late: either way the publisher retries
                            // with the same id, once a router is back if it died.
                            guard let status = await router.waitForExit(timeout: .seconds(5)) else { continue }
                            crashed.append(id)
                            #expect(status == 128 + SIGKILL, "\(router.output)")
                            router = try await startRouter(crashAfter: nil)
                        }
                    }
                }
                #expect(await eventually(timeout: .seconds(60)) { backend.distinctIDs.count == total })
                #expect(try await eventually { try await harness.count(FabricNames.Stream.work) == 0 })
            }
            #expect(crashed.count == 1)
            for id in crashed { #expect(backend.deliveries(of: id).count == 1, "one copy of \(id)") }
            // The retry was de-duplicated by the stream: exactly one store per message.
            #expect(try await harness.jetStream.streamInfo(FabricNames.Stream.work).lastSequence == UInt64(total))
            #expect(backend.count == total)
            print("kill -9 of router after store 300: \(total) stored once each, \(backend.count - total) duplicates delivered")
            #expect(await router.stop() == 0)
        }
    }
}
