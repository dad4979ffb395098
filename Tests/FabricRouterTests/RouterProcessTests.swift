import FabricCore
import FabricNATS
import FabricTestSupport
import Foundation
import Synchronization
import Testing

/// The router as separate `fabric` processes, as a cluster runs it.
@Suite("Router processes", .timeLimit(.minutes(3)))
struct RouterProcessTests {
    /// Starts `fabric router` and waits until its rules are loaded.
    static func startRouter(_ arguments: [String], url: String) async throws -> (process: ChildProcess, admin: String) {
        let process = try FabricBinary.start(
            ["router", "--nats-url", url, "--admin-port", "0", "--log-format", "json"] + arguments)
        let adminLine = try #require(await process.waitForLine(containing: "admin ", timeout: .seconds(60)), "\(process.output)")
        let admin = String(adminLine.split(separator: " ").last!)
        #expect(await process.waitForLine(containing: "routes loaded", timeout: .seconds(30)) != nil, "\(process.output)")
        #expect(await eventually { (try? await HTTPProbe.get("\(admin)/readyz").status) == 200 })
        return (process, admin)
    }

    /// The value of a counter in Prometheus text, summed over its label sets.
    static func counter(_ name: String, in text: String) -> Double {
        text.split(separator: "\n").filter { $0.hasPrefix(name) }.compactMap {
            $0.split(separator: " ").last.flatMap { Double($0) }
        }
        .reduce(0, +)
    }

    static func writeRules(_ text: String) throws -> String {
        let directory = try makeTemporaryDirectory()
        let file = "\(directory)/routes.yaml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func twoRouterProcessesShareTheWorkAndRouteEachMessageOnce() async throws {
        let harness = try await RouterHarness.start()
        let file = try Self.writeRules("version: 1\nroutes:\n  - name: work\n    match: { type: task }\n    to: worker\n")
        let first = try await Self.startRouter(["--routes", file], url: harness.server.url)
        let second = try await Self.startRouter(["--routes", file], url: harness.server.url)
        let received = Mutex<[Int: Int]>([:])
        let backend = try harness.connection.subscribe(to: "fabric.svc.worker") { message in
            let index = Int(String(decoding: message.payload, as: UTF8.self))!
            received.withLock { $0[index, default: 0] += 1 }
        }
        try await harness.connection.flush()
        let total = 1000
        for index in 0..<total {
            let reply = try await harness.request("task", expect: .ack, payload: String(index))
            #expect(reply.headers[HeaderName.status] == "ok")
        }
        #expect(await eventually { received.withLock { $0.count } == total })
        let counts = received.withLock { $0 }
        #expect(counts.values.allSatisfy { $0 == 1 })
        let routedByFirst = Self.counter("fabric_router_routed_total", in: try await HTTPProbe.get("\(first.admin)/metrics").body)
        let routedBySecond = Self.counter(
            "fabric_router_routed_total", in: try await HTTPProbe.get("\(second.admin)/metrics").body)
        #expect(routedByFirst > 0)
        #expect(routedBySecond > 0)
        #expect(routedByFirst + routedBySecond == Double(total))
        _ = backend
        #expect(await first.process.stop() == 0)
        #expect(await second.process.stop() == 0)
        await harness.stop()
    }

    @Test func routesApplyWhileTrafficFlowsLosesNothingAndStampsTheRightVersion() async throws {
        let harness = try await RouterHarness.start()
        let router = try FabricBinary.start(["router", "--nats-url", harness.server.url, "--admin-port", "0"])
        let alphaRules = try Self.writeRules("version: 1\nroutes:\n  - name: r\n    match: { type: tick }\n    to: alpha\n")
        let betaRules = try Self.writeRules("version: 1\nroutes:\n  - name: r\n    match: { type: tick }\n    to: beta\n")
        let applyAlpha = try await FabricBinary.run(["routes", "apply", alphaRules, "--nats-url", harness.server.url])
        #expect(applyAlpha.status == 0, "\(applyAlpha.output)")
        let alphaVersion = try #require(applyAlpha.output.firstMatch(of: /kv:\d+/).map { String($0.output) })
        #expect(await router.waitForLine(containing: "routes loaded", timeout: .seconds(60)) != nil, "\(router.output)")

        let seen = Mutex<[(service: String, index: Int, version: String)]>([])
        var subscriptions: [NATSSubscription] = []
        for service in ["alpha", "beta"] {
            subscriptions.append(
                try harness.connection.subscribe(to: "fabric.svc.\(service)") { message in
                    let index = Int(String(decoding: message.payload, as: UTF8.self))!
                    let version = message.header(HeaderName.routesVersion) ?? "?"
                    seen.withLock { $0.append((service, index, version)) }
                })
        }
        try await harness.connection.flush()

        var sent = 0
        var betaVersion: String?
        while sent < 3000 {
            let reply = try await harness.request("tick", expect: .ack, payload: String(sent))
            #expect(reply.headers[HeaderName.status] == "ok")
            sent += 1
            if sent == 300 {
                // Applied by another process while this loop keeps publishing.
                let apply = try await FabricBinary.run(["routes", "apply", betaRules, "--nats-url", harness.server.url])
                betaVersion = apply.output.firstMatch(of: /kv:\d+/).map { String($0.output) }
            }
            if betaVersion != nil, seen.withLock({ $0.contains { $0.service == "beta" } }), sent >= 600 { break }
        }
        let total = sent
        #expect(await eventually { seen.withLock { $0.count } == total })
        let deliveries = seen.withLock { $0 }
        #expect(Set(deliveries.map(\.index)).count == total, "every message routed exactly once")
        #expect(deliveries.count == total)
        #expect(deliveries.contains { $0.service == "alpha" })
        #expect(deliveries.contains { $0.service == "beta" })
        for delivery in deliveries {
            #expect(delivery.version == (delivery.service == "alpha" ? alphaVersion : betaVersion), "\(delivery)")
        }
        _ = subscriptions
        #expect(await router.stop() == 0)
        await harness.stop()
    }

    @Test func partitionsAgreeAcrossProcesses() async throws {
        let file = try Self.writeRules(
            "version: 1\nroutes:\n  - name: p\n    match: { type: \"user.*\" }\n    to: users\n    partition: { key: principal, count: 8 }\n"
        )
        for principal in ["alice", "bob", "carol", "a.b@x.com", "日本", ""] {
            let result = try await FabricBinary.run(["routes", "test", file, "--type", "user.login", "--principal", principal])
            #expect(result.status == 0, "\(result.output)")
            let partition = try #require(result.output.firstMatch(of: /partition (\d+) of 8/).map { Int($0.output.1)! })
            #expect(partition == JumpHash.bucket(principal, buckets: 8), "\(principal)")
        }
    }

    @Test func routesCheckNamesRuleFieldAndLine() async throws {
        let file = try Self.writeRules(
            "version: 1\nroutes:\n  - name: hot\n    match:\n      payload: { \"/t\": { gt: warm } }\n    to: alerts\n")
        let result = try await FabricBinary.run(["routes", "check", file])
        #expect(result.status != 0)
        #expect(result.output.contains("routes[0] 'hot': match.payload./t.gt: 'gt' needs a number (line 5)"))
        let good = try await FabricBinary.run(["routes", "check", "Examples/routes.yaml"])
        #expect(good.status == 0, "\(good.output)")
    }
}
