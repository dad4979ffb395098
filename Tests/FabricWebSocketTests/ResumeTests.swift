import FabricConformance
import FabricCore
import FabricNATS
import FabricTestSupport
import FabricWebSocket
import Foundation
import HTTPTypes
import Testing

/// Sessions against the real delivery service: queued messages, resume on any instance,
/// a crashed adapter, and takeover (`docs/delivery.md`, the adapter side of the outbox).
@Suite("WebSocket sessions and resume", .timeLimit(.minutes(3)))
struct ResumeTests {
    /// Waits for `count` outbox messages on `client`, acknowledging each as it comes (delivery
    /// sends the next only then); returns their payloads and sequences.
    func receive(_ count: Int, on client: WSTestClient, ack: Bool = true) async throws -> [(payload: String, sequence: UInt64)] {
        var got: [(String, UInt64)] = []
        for index in 0..<count {
            guard
                await client.count(
                    atLeast: index + 1, timeout: .seconds(30), where: { $0.op == "message" && $0.number("sequence") != nil })
            else {
                throw WSTestError("message \(index + 1) of \(count) never came: \(client.messages.map { $0.text ?? "binary" })")
            }
            let message = client.messages.filter { $0.op == "message" && $0.number("sequence") != nil }[index]
            let sequence = UInt64(message.number("sequence") ?? 0)
            got.append((message.json?["payload"]?.stringValue ?? "?", sequence))
            if ack { client.send(json: ["op": .string("ack"), "sequence": .number(Double(sequence))]) }
        }
        return got
    }

    func headers(_ harness: WSHarness) -> HTTPFields { [.authorization: "Bearer \(harness.tokens.valid())"] }

    /// Queues `payload` as a JSON string, so it comes back as the frame's `payload`.
    func queue(_ harness: WSHarness, _ text: String, for client: String) async throws -> UInt64 {
        try await harness.queue("\"\(text)\"", for: client)
    }

    @Test func messagesQueuedWhileAwayAndUnackedOnesArriveOnceAndInOrderOnASecondInstance() async throws {
        try await WSHarness.run { harness in
            let first = try await harness.adapter(name: "ws-a")
            let second = try await harness.adapter(name: "ws-b")
            let client = FabricNames.clientID(principal: "alice", session: "tab1")
            try await harness.with([try await harness.delivery(), first.adapter, second.adapter]) {
                _ = try await first.url.get()
                _ = try await second.url.get()
                let before = try await WSTestClient.connect(try await first.endpoint("session=tab1"), headers: headers(harness))
                #expect(await before.frame("ready")?.string("client") == client)
                for name in ["m1", "m2", "m3"] { _ = try await queue(harness, name, for: client) }
                let acked = try await receive(3, on: before)
                #expect(acked.map(\.payload) == ["m1", "m2", "m3"])
                // Sent, never acknowledged: it must come again.
                _ = try await queue(harness, "m4", for: client)
                #expect(try await receive(4, on: before, ack: false).last?.payload == "m4")
                await before.close()
                #expect(await eventually { first.adapter.connections == 0 })
                for name in ["m5", "m6", "m7"] { _ = try await queue(harness, name, for: client) }

                let after = try await WSTestClient.connect(
                    try await second.endpoint("session=tab1&last_sequence=\(acked[2].sequence)"), headers: headers(harness))
                #expect(await after.frame("ready")?.number("last_sequence") == Double(acked[2].sequence))
                let resumed = try await receive(4, on: after)
                #expect(resumed.map(\.payload) == ["m4", "m5", "m6", "m7"])
                #expect(resumed.map(\.sequence) == resumed.map(\.sequence).sorted())
                #expect(try await eventually { try await harness.depth(client) == 0 })
                // Nothing more (no duplicate) followed.
                _ = try await queue(harness, "m8", for: client)
                let all = try await receive(5, on: after)
                #expect(all.map(\.payload) == ["m4", "m5", "m6", "m7", "m8"])
                await after.close()
            }
        }
    }

    @Test func afterKill9OfTheAdapterProcessTheClientResumesElsewhereWithTheUnackedFrame() async throws {
        try await WSHarness.run { harness in
            let file = "\(harness.directory)/fabric.yaml"
            try """
            instance: ws-process
            auth:
              jwks_file: \(harness.jwksFile)
              issuer: \(ConformanceTokens.issuer)
              audience: [\(ConformanceTokens.audience)]
              leeway: 0s
            jetstream: { in_memory: true }
            ws: { host: 127.0.0.1 }
            """.write(toFile: file, atomically: true, encoding: .utf8)
            let process = harness.children.adopt(
                try FabricBinary.start([
                    "adapter", "ws", "--config", file, "--nats-url", harness.server.url, "--ws-port", "0", "--admin-port", "0",
                ]))
            let line = try #require(await process.waitForLine(containing: "ws ", timeout: .seconds(60)), "\(process.output)")
            let url = try #require(line.split(separator: " ").last.map(String.init))
            let other = try await harness.adapter(name: "ws-survivor")
            let client = FabricNames.clientID(principal: "alice", session: "tab2")
            try await harness.with([try await harness.delivery(), other.adapter]) {
                let doomed = try await WSTestClient.connect(url + "/v1/ws?session=tab2", headers: headers(harness))
                #expect(await doomed.frame("ready") != nil)
                for name in ["k1", "k2", "k3"] { _ = try await queue(harness, name, for: client) }
                let seen = try await receive(2, on: doomed)
                #expect(seen.map(\.payload) == ["k1", "k2"])
                // k3 reaches the client, which does not get to acknowledge it.
                #expect(try await receive(3, on: doomed, ack: false).last?.payload == "k3")
                process.send(SIGKILL)
                _ = await process.waitForExit(timeout: .seconds(10))
                _ = await doomed.closeCode()
                #expect(doomed.isClosed)
                for name in ["k4", "k5"] { _ = try await queue(harness, name, for: client) }

                let resumed = try await WSTestClient.connect(
                    try await other.endpoint("session=tab2&last_sequence=\(seen[1].sequence)"), headers: headers(harness))
                let frames = try await receive(3, on: resumed)
                #expect(frames.map(\.payload) == ["k3", "k4", "k5"])
                #expect(try await eventually { try await harness.depth(client) == 0 })
                await resumed.close()
            }
        }
    }

    @Test func aSecondConnectionWithTheSameClientIDTakesTheSessionOver() async throws {
        try await WSHarness.run { harness in
            let first = try await harness.adapter(name: "ws-one")
            let second = try await harness.adapter(name: "ws-two")
            let client = FabricNames.clientID(principal: "alice", session: "tab3")
            try await harness.with([try await harness.delivery(), first.adapter, second.adapter]) {
                let old = try await WSTestClient.connect(try await first.endpoint("session=tab3"), headers: headers(harness))
                #expect(await old.frame("ready") != nil)
                // Same instance.
                let new = try await WSTestClient.connect(try await first.endpoint("session=tab3"), headers: headers(harness))
                #expect(await new.frame("ready") != nil)
                #expect(await old.closeCode() == 4001)
                #expect(old.closeReason?.contains("taken over") == true)
                _ = try await queue(harness, "t1", for: client)
                #expect(try await receive(1, on: new).map(\.payload) == ["t1"])
                // The ack must have reached delivery before the next takeover, or t1 is
                // (rightly, at least once) handed to the next session again.
                #expect(try await eventually { try await harness.depth(client) == 0 })

                // Another instance: the presence event closes the session here.
                let moved = try await WSTestClient.connect(try await second.endpoint("session=tab3"), headers: headers(harness))
                #expect(await moved.frame("ready") != nil)
                #expect(await new.closeCode() == 4001)
                _ = try await queue(harness, "t2", for: client)
                #expect(try await receive(1, on: moved).map(\.payload) == ["t2"])
                #expect(old.messages.filter { $0.op == "message" }.isEmpty)
                #expect(try await eventually { try await harness.depth(client) == 0 })

                // A late connect of an older session (still in flight when this one opened)
                // takes nothing over, here or in delivery.
                let oldSession = try #require(await old.frame("ready")?.string("session"))
                let stale = PresenceEvent(
                    client: client, principal: "alice", instance: "elsewhere", protocol: "ws", session: oldSession,
                    lastSequence: 0)
                try harness.connection.publish(FabricNames.Subject.presenceConnect, payload: stale.json)
                try await harness.connection.flush()
                _ = try await queue(harness, "t3", for: client)
                #expect(try await receive(2, on: moved).map(\.payload) == ["t2", "t3"])
                #expect(!moved.isClosed)
                await moved.close()
            }
        }
    }
}
