import FabricAuth
import FabricConformance
import FabricCore
import FabricExamples
import FabricNATS
import FabricObservability
import FabricRouter
import FabricTestSupport
import FabricWebSocket
import Foundation
import HTTPTypes
import NIOSSL
import Testing

@Suite("WebSocket limits, liveness and raw mode", .timeLimit(.minutes(3)))
struct LimitsTests {
    static let routes = """
        version: 1
        routes:
          - name: echo
            match: { type: "echo" }
            to: echo

        """

    /// Runs the router and echo next to `body`.
    func withEcho<Result: Sendable>(_ harness: WSHarness, _ body: () async throws -> Result) async throws -> Result {
        let router = RouterService(
            connection: harness.connection, jetStream: harness.jetStream, source: FixedRoutes(text: Self.routes),
            config: FabricConfig.defaults.router, readiness: Readiness(), logger: WSHarness.logger)
        let echo = EchoBackend.make(connection: harness.connection, jetStream: harness.jetStream)
        return try await harness.with([echo, router]) {
            await router.waitUntilRouting()
            return try await body()
        }
    }

    @Test func invalidJSONIsAnErrorFrameAndOversizedMessagesClose1009() async throws {
        try await WSHarness.run { harness in
            try await withEcho(harness) {
                let adapter = try await harness.adapter(yaml: "limits: { max_frame_size: 16KiB, max_message_size: 32KiB }")
                try await adapter.run {
                    let peer = try Peer.start(["frames", try await adapter.url.get(), harness.tokens.valid(), "40000", "10000"])
                    defer { Task { await peer.process.stop() } }
                    let error = await peer.event("error")
                    #expect(error?["code"]?.stringValue == "invalid-json", "\(peer.process.output)")
                    // The session goes on after the error.
                    let response = await peer.event("response")
                    #expect(response?["status"]?.stringValue == "ok")
                    #expect(response?["payload"] == .object(["after": .string("error")]))
                    #expect(
                        await peer.event("closed").flatMap { $0["code"]?.numberValue } == 1009, "\(peer.process.output)")
                    let fragmented = await peer.process.waitForLine(containing: "\"fragmented\"", timeout: .seconds(30))
                    #expect(fragmented?.contains("\"code\": 1009") == true, "\(peer.process.output)")
                    #expect(await peer.process.waitForExit(timeout: .seconds(30)) == 0, "\(peer.process.output)")
                }
            }
        }
    }

    @Test func aClientThatMissesPongsIsClosed() async throws {
        try await WSHarness.run { harness in
            let adapter = try await harness.adapter(yaml: "ping_interval: 200ms")
            try await adapter.run {
                let peer = try Peer.start(["nopong", try await adapter.endpoint(), harness.tokens.valid()])
                defer { Task { await peer.process.stop() } }
                #expect(await peer.event("ping") != nil, "\(peer.process.output)")
                let end = await peer.process.waitForLine(containing: "\"pings\"", timeout: .seconds(30))
                #expect(end?.contains("\"event\": \"closed\", \"code\": 1001") == true, "\(peer.process.output)")
                #expect(await eventually { adapter.adapter.connections == 0 })
            }
        }
    }

    @Test func rawModeRoundTripsTextAndBinary() async throws {
        try await WSHarness.run { harness in
            try await withEcho(harness) {
                let adapter = try await harness.adapter()
                try await adapter.run {
                    let peer = try Peer.start(["raw", try await adapter.url.get(), harness.tokens.valid()])
                    defer { Task { await peer.process.stop() } }
                    let raw = await peer.event("raw")
                    #expect(raw?["text_kind"]?.stringValue == "str", "\(peer.process.output)")
                    #expect(raw?["text"] == .object(["hello": .string("raw")]))
                    #expect(raw?["binary_kind"]?.stringValue == "bytes")
                    #expect((raw?["binary_len"]?.numberValue ?? 0) > 0)
                }
            }
        }
    }

    @Test func shedMessagesAreAnsweredUnavailableAndTheSessionStays() async throws {
        try await WSHarness.run { harness in
            try await withEcho(harness) {
                // Every class but critical is refused from the first message in flight.
                let adapter = try await harness.adapter(yaml: "shedding: { max_in_flight: 1, high_watermark: 0 }")
                try await adapter.run {
                    let client = try await WSTestClient.connect(
                        try await adapter.endpoint(), headers: [.authorization: "Bearer \(harness.tokens.valid())"])
                    #expect(await client.frame("ready") != nil)
                    client.send(json: [
                        "op": .string("request"), "id": .string("r1"), "type": .string("echo"), "payload": .object([:]),
                    ])
                    let shed = await client.frame("response", "id", "r1")
                    #expect(shed?.string("status") == "unavailable")
                    #expect(shed?.string("error")?.contains("overloaded") == true)
                    client.send(json: ["op": .string("publish"), "ack": .string("a1"), "type": .string("echo")])
                    #expect(await client.frame("nack", "ack", "a1")?.string("status") == "unavailable")
                    #expect(!client.isClosed)
                    await client.close()
                }
            }
        }
    }

    @Test func theListenerSpeaksTLSWhenConfigured() async throws {
        try await WSHarness.run { harness in
            let certificate = try await TestCertificate.shared()
            let adapter = try await harness.adapter(
                yaml: "tls: { cert_file: \(certificate.certFile), key_file: \(certificate.keyFile) }")
            try await adapter.run {
                let url = try await adapter.endpoint("session=secure")
                #expect(url.hasPrefix("wss://127.0.0.1:"))
                var tls = TLSConfiguration.makeClientConfiguration()
                tls.trustRoots = .file(certificate.certFile)
                let client = try await WSTestClient.connect(
                    url, headers: [.authorization: "Bearer \(harness.tokens.valid())"], tls: tls)
                #expect(await client.frame("ready")?.string("client") == "alice~~secure")
                await client.close()
            }
        }
    }

    @Test func theConnectionLimitRefuses503BeforeTheUpgrade() async throws {
        try await WSHarness.run { harness in
            let adapter = try await harness.adapter(yaml: "limits: { max_connections: 2 }")
            try await adapter.run {
                let url = try await adapter.endpoint()
                let headers: HTTPFields = [.authorization: "Bearer \(harness.tokens.valid())"]
                let first = try await WSTestClient.connect(url, headers: headers)
                let second = try await WSTestClient.connect(url, headers: headers)
                let refused = try await RawHandshake.send(
                    port: try await adapter.url.port(), path: "/v1/ws",
                    headers: [("Authorization", "Bearer \(harness.tokens.valid())")])
                #expect(refused.status == 503, "\(refused)")
                await first.close()
                #expect(await eventually { adapter.adapter.connections == 1 })
                let third = try await WSTestClient.connect(url, headers: headers)
                #expect(await third.frame("ready") != nil)
                await second.close()
                await third.close()
                // Unknown paths are 404 and a bad token 401 with its reason, before any upgrade.
                let missing = try await RawHandshake.send(port: try await adapter.url.port(), path: "/v2/nothing")
                #expect(missing.status == 404)
                let expired = try await RawHandshake.send(
                    port: try await adapter.url.port(), path: "/v1/ws",
                    headers: [("Authorization", "Bearer \(harness.tokens.forged(.expired)!)")])
                #expect(expired.status == 401)
                #expect(expired.body.contains("\"reason\":\"expired\""))
            }
        }
    }

    @Test func plainRequestsAndMalformedUpgradesGetAnHTTPAnswer() async throws {
        try await WSHarness.run { harness in
            // Longer than a test waits: a closed connection below is not the handshake timeout.
            let adapter = try await harness.adapter(yaml: "handshake_timeout: 10m")
            try await adapter.run {
                let port = try await adapter.url.port()
                let token = [("Authorization", "Bearer \(harness.tokens.valid())")]
                let plain = try await RawHandshake.send(port: port, path: "/v1/ws", upgrade: [], headers: token)
                #expect(plain.status == 426, "\(plain)")
                let noKey = Array(RawHandshake.upgrade.filter { $0.0 != "Sec-WebSocket-Key" })
                let keyless = try await RawHandshake.send(port: port, path: "/v1/ws", upgrade: noKey, headers: token)
                #expect(keyless.status == 400, "\(keyless)")
                #expect(keyless.body.contains("Sec-WebSocket-Key"))
                let notConnection = Array(RawHandshake.upgrade.filter { $0.0 != "Connection" })
                let unannounced = try await RawHandshake.send(
                    port: port, path: "/v1/ws", upgrade: notConnection, headers: token)
                #expect(unannounced.status == 400, "\(unannounced)")
                #expect(unannounced.body.contains("Connection: Upgrade"))
                // A refusal is answered on the request's head: a body announced and never sent
                // keeps nothing waiting.
                let stalled = try await RawHandshake.send(
                    port: port, path: "/v1/ws", headers: [("Authorization", "Bearer nonsense"), ("Content-Length", "5")])
                #expect(stalled.status == 401, "\(stalled)")
                // A connection that closes its side before any request is closed, not kept.
                let closed = try await RawHandshake.isClosedWhenSilent(port: port, halfClose: true)
                #expect(closed)
                // So is one that half-closes right after a valid upgrade request: as a session it
                // could never answer a ping or a close (without this it lives until the ping timeout).
                let upgradedThenGone = try await RawHandshake.isClosedAfterUpgradeAndHalfClose(port: port, headers: token)
                #expect(upgradedThenGone)
                #expect(await eventually { adapter.adapter.connections == 0 })
            }
        }
    }

    @Test func aClientThatDoesNotReadItsAnswersIsClosed1013() async throws {
        try await WSHarness.run { harness in
            // Eight answers may wait (buffer 4 + in flight 4); the socket itself holds a few KiB.
            let adapter = try await harness.adapter(
                yaml: "buffer: { size: 4 }\nlimits: { max_in_flight: 4, send_buffer: 4096 }")
            try await adapter.run {
                let peer = try Peer.start(["deaf", try await adapter.endpoint(), harness.tokens.valid(), "20000", "4096"])
                defer { Task { await peer.process.stop() } }
                let closed = await peer.event("closed")
                #expect(closed?["code"]?.numberValue == 1013, "\(peer.process.output)")
                // Answers were written until the socket filled; then the lane filled and the
                // connection closed, long before 20,000 answers.
                #expect((closed?["answers"]?.numberValue ?? 0) < 20000, "\(peer.process.output)")
                #expect(await eventually { adapter.adapter.connections == 0 })
            }
        }
    }

    @Test func aConnectionThatSendsNoUpgradeIsClosedAfterTheHandshakeTimeout() async throws {
        try await WSHarness.run { harness in
            let adapter = try await harness.adapter(yaml: "handshake_timeout: 100ms")
            try await adapter.run {
                let port = try await adapter.url.port()
                let closed = try await RawHandshake.isClosedWhenSilent(port: port, halfClose: false)
                #expect(closed)
            }
        }
    }

    @Test func pingsCloseCodesAndUnmaskedFramesFollowRFC6455() async throws {
        try await WSHarness.run { harness in
            let adapter = try await harness.adapter()
            try await adapter.run {
                let peer = try Peer.start(["protocol", try await adapter.endpoint(), harness.tokens.valid()])
                defer { Task { await peer.process.stop() } }
                #expect(await peer.event("pong")?["payload"]?.stringValue == "hi", "\(peer.process.output)")
                // The client's own close code comes back (RFC 6455 §5.5.1).
                #expect(await peer.event("echoed")?["code"]?.numberValue == 4321, "\(peer.process.output)")
                // A client frame without a mask is a protocol error (§5.1).
                #expect(await peer.event("unmasked")?["code"]?.numberValue == 1002, "\(peer.process.output)")
                #expect(await eventually { adapter.adapter.connections == 0 })
            }
        }
    }

    @Test func aTokenThatExpiresClosesTheSessionUnlessRefreshed() async throws {
        try await WSHarness.run { harness in
            let adapter = try await harness.adapter()
            try await adapter.run {
                let now = Date().timeIntervalSince1970.rounded(.down)
                var claims = harness.tokens.claims()
                // Long enough to connect on a loaded machine; the close is awaited, not slept for.
                claims["exp"] = .number(now + 4)
                let short = harness.tokens.signed(claims)
                let client = try await WSTestClient.connect(
                    try await adapter.endpoint(), headers: [.authorization: "Bearer \(short)"])
                #expect(await client.frame("ready") != nil)
                #expect(await client.closeCode(timeout: .seconds(20)) == 1008)
                #expect(client.closeReason == "token expired")

                // A session renewed in time with a longer token reports the new expiry.
                claims["exp"] = .number(now + 60)
                let renewed = try await WSTestClient.connect(
                    try await adapter.endpoint(), headers: [.authorization: "Bearer \(harness.tokens.signed(claims))"])
                #expect(await renewed.frame("ready") != nil)
                renewed.send(json: ["op": .string("refresh"), "id": .string("t1"), "token": .string(harness.tokens.valid())])
                let refreshed = await renewed.frame("refreshed", "id", "t1")
                #expect((refreshed?.number("expires") ?? 0) > (now + 60) * 1000)
                // A token for someone else is refused, and the session stays.
                renewed.send(
                    json: ["op": .string("refresh"), "id": .string("t2"), "token": .string(harness.tokens.valid(sub: "mallory"))])
                #expect(await renewed.frame("error", "id", "t2")?.string("code") == "forbidden")
                #expect(!renewed.isClosed)
                await renewed.close()
            }
        }
    }
}
