import FabricConformance
import FabricCore
import FabricHTTP
import FabricObservability
import FabricTestSupport
import Foundation
import Logging
import NIOHTTP1
import Synchronization
import Testing

@Suite("HTTP priority load shedding", .timeLimit(.minutes(3)))
struct SheddingTests {
    static let table = """
        version: 1
        default: normal
        priorities:
          - { type: "slow", priority: critical }
          - { type: "class.low.>", priority: low }
          - { type: "class.high.>", priority: high }
          - { type: "class.batch.>", priority: batch }
        """

    @Test func lowIsShedBeforeHighAndNothingBelowTheWatermark() async throws {
        try await ConformanceEnvironment.run(HTTPFixtures.options) { environment in
            // 8 in flight at most, watermark 4: batch is shed from 4, low from 5, normal
            // from 6, high from 7, critical only at 8.
            let http = try await HTTPTestAdapter.make(environment, yaml: "shedding: { max_in_flight: 8, high_watermark: 0.5 }")
            let admin = try await AdminHarness(http: http, token: "s3cret")
            try await withServices([admin.server]) {
                try await http.run {
                    let revision = try await admin.put(Self.table)
                    await http.adapter.priorities.waitUntilApplied(revision: revision)
                    let client = try AsyncHTTPDriver(
                        listener: .http, urls: http.urls, certificate: try await TestCertificate.shared())
                    let token = environment.tokens.valid()
                    let auth = [("Authorization", "Bearer \(token)")]
                    func call(_ type: String) async throws -> HTTPReply {
                        try await client.execute(.POST, "/v1/request/\(type)", headers: auth, body: Array("{}".utf8))
                    }
                    let shedLow = TestMetrics.value("fabric_http_shed_total{class=\"low\"}")

                    try await withThrowingTaskGroup(of: HTTPReply.self) { held in
                        for _ in 0..<3 { held.addTask { try await call("slow") } }
                        #expect(await environment.gate.waitForArrivals(3))
                        #expect(http.adapter.inFlight == 3)
                        // Below the watermark nothing is shed, not even batch.
                        #expect(try await call("class.batch.report").status == 200)

                        for _ in 0..<2 { held.addTask { try await call("slow") } }
                        #expect(await environment.gate.waitForArrivals(5))
                        #expect(http.adapter.inFlight == 5)
                        let low = try await call("class.low.sync")
                        #expect(low.status == 503)
                        #expect(low.headers["retry-after"] == "1")
                        #expect(low.field("status") == "unavailable")
                        #expect(try await call("class.batch.report").status == 503)
                        #expect(try await call("class.high.order").status == 200)
                        #expect(try await call("class.other").status == 200)  // normal: shed from 6
                        #expect(TestMetrics.value("fabric_http_shed_total{class=\"low\"}") == shedLow + 1)

                        // The control API moves low up to high: applied by the watch, it is admitted.
                        let raised = try await admin.put(
                            Self.table.replacingOccurrences(of: "priority: low", with: "priority: high"))
                        await http.adapter.priorities.waitUntilApplied(revision: raised)
                        #expect(try await call("class.low.sync").status == 200)

                        environment.gate.open()
                        for try await reply in held { #expect(reply.status == 200) }
                    }
                    await client.close()
                }
            }
        }
    }

    @Test func theControlAPIIsAuthenticatedValidatedAndSeenByEveryInstance() async throws {
        try await ConformanceEnvironment.run { environment in
            let first = try await HTTPTestAdapter.make(environment, name: "first")
            let second = try await HTTPTestAdapter.make(environment, name: "second")
            let admin = try await AdminHarness(http: first, token: "s3cret")
            let noToken = try await AdminHarness(http: first, token: nil)
            try await withServices([admin.server, noToken.server]) {
                try await first.run {
                    try await second.run {
                        #expect(try await admin.get(authorization: nil).status == 401)
                        #expect(try await admin.get(authorization: "Bearer wrong").status == 401)
                        #expect(try await noToken.get(authorization: "Bearer s3cret").status == 404)
                        let before = try await admin.get(authorization: "Bearer s3cret")
                        #expect(before.status == 200)
                        #expect(before.body.contains("\"default\":\"normal\""))

                        let revision = try await admin.put(Self.table)
                        // Written through the first instance, applied by the second from the bucket.
                        await second.adapter.priorities.waitUntilApplied(revision: revision)
                        #expect(second.adapter.priorities.priority(for: "class.batch.x") == .batch)
                        #expect(second.adapter.priorities.priority(for: "slow") == .critical)
                        #expect(second.adapter.priorities.priority(for: "anything") == .normal)

                        let invalid = try await admin.request(
                            "PUT", body: "version: 1\npriorities:\n  - { type: \"a.>\", priority: urgent }\n",
                            authorization: "Bearer s3cret")
                        #expect(invalid.status == 400)
                        #expect(invalid.body.contains("priorities[0].priority"))
                        #expect(second.adapter.priorities.current.revision == revision)

                        let cleared = try await admin.request("DELETE", body: nil, authorization: "Bearer s3cret")
                        #expect(cleared.status == 200)
                        await second.adapter.priorities.waitUntilApplied(revision: revision + 1)
                        #expect(second.adapter.priorities.priority(for: "class.batch.x") == .normal)
                    }
                }
            }
        }
    }
}
