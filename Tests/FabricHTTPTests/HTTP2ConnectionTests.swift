import FabricConformance
import FabricCore
import FabricTestSupport
import Foundation
import Testing

@testable import FabricHTTP

/// fabric's HTTP/2 connection handler (`HTTP2ServerChannel`) against a real HTTP/2 client,
/// the `h2` library driven frame by frame (`peers/h2peer.py`): what the adapter's own
/// handler does that nio-http2's multiplexer used to.
@Suite("HTTP/2 connection handler", .timeLimit(.minutes(3)))
struct HTTP2ConnectionTests {
    @Test func settingsFlowControlMalformedResetAndBrokenStreams() async throws {
        try await Self.withPeers(yaml: "limits: { max_concurrent_streams: 7 }") { http, peer in

            // The configured stream limit is the protocol's own (SETTINGS_MAX_CONCURRENT_STREAMS).
            let settings = try await peer("settings").event("settings")
            #expect(settings?["max_concurrent_streams"]?.numberValue == 7)

            // 200 KiB is three times the stream's first window: it arrives whole only if
            // the handler gives the window back as it reads.
            let upload = try await peer("upload", String(200 << 10)).event("response")
            #expect(upload?["status"]?.numberValue == 200)
            #expect(upload?["echoed"]?.numberValue == Double(200 << 10))
            #expect(upload?["date"]?.stringValue?.hasSuffix(" GMT") == true)

            // Malformed header blocks are refused 400 with the reason, each on its own stream
            // (fabric checks them, not nio-http2); malformed trailers reset their stream with
            // PROTOCOL_ERROR. The connection goes on.
            let malformed = try peer("malformed")
            let reasons = [
                "nopath": "no :path", "uppercase": "not a lower-case token", "newline": "CR, LF or NUL",
                "connection": "connection-specific field connection", "late": "pseudo-header field :scheme after",
            ]
            for (name, reason) in reasons.sorted(by: { $0.key < $1.key }) {
                let refused = await malformed.event(name)
                #expect(refused?["status"]?.numberValue == 400, "\(name)")
                #expect(refused?["body"]?.stringValue?.contains("malformed HTTP/2 request: ") == true, "\(name)")
                #expect(refused?["body"]?.stringValue?.contains(reason) == true, "\(name): \(String(describing: refused))")
                #expect(refused?["ended"] == .bool(true), "\(name)")
            }
            let head = await malformed.event("head")
            #expect(head?["status"]?.numberValue == 400)
            #expect(head?["bytes"]?.numberValue == 0)
            #expect(head?["ended"] == .bool(true))
            let unended = await malformed.event("unended")
            #expect(unended?["status"]?.numberValue == 400)
            #expect(unended?["body"]?.stringValue?.contains("not a lower-case token") == true)
            #expect(unended?["reset"]?.numberValue == 1)  // PROTOCOL_ERROR
            let trailers = await malformed.event("trailers")
            #expect(trailers?["reset"]?.numberValue == 1)  // PROTOCOL_ERROR
            #expect(trailers?["status"] == .null)
            #expect(await malformed.event("response")?["status"]?.numberValue == 404)

            // An event stream the client resets leaves the connection serving, and ends at
            // once (its task is cancelled), not at its next heartbeat's failed write: the
            // peer keeps its connection open meanwhile.
            let reset = try peer("reset")
            #expect(await reset.event("stream")?["status"]?.numberValue == 200)
            #expect(await reset.event("response")?["status"]?.numberValue == 404)
            #expect(await eventually { http.adapter.ingress.events.count == 0 })

            // A connection error: GOAWAY with PROTOCOL_ERROR, and the connection is closed.
            let garbage = try await peer("garbage").event("closed")
            #expect(garbage?["goaway"]?.numberValue == 1)
            #expect(garbage?["closed"] == .bool(true))
        }
    }

    @Test func aRequestWhoseBodyNeverComesIsAnswered408AndIdleConnectionsClose() async throws {
        // Only this test's adapter has a short timeout. It also closes idle connections, so it
        // must leave a loaded machine time to read a header block after the connection opens:
        // a connection idle from the start gets its GOAWAY before the stream exists.
        try await Self.withPeers(yaml: "limits: { idle_timeout: 1s, graceful_close_timeout: 300ms }") { _, peer in
            let stalled = try await peer("stall").event("response")
            #expect(stalled?["status"]?.numberValue == 408)
            #expect(stalled?["body"]?.stringValue?.contains("not received within 1000 ms") == true)
            #expect(stalled?["reset"]?.numberValue == 0)  // NO_ERROR, once answered

            // h2 over TLS is set up after ALPN, on a channel already active: its idle timer
            // must still start (a connection that never opens a stream gets a GOAWAY), and the
            // connection is closed after the grace time though the client never answers the
            // PING that follows the GOAWAY.
            let idle = try await peer("tlsidle", "https").event("closed")
            #expect(idle?["goaway"]?.numberValue == 0)
            #expect(idle?["closed"] == .bool(true))
        }
    }

    @Test func oldAndIdleConnectionsCloseWithTwoGoAwaysOnceTheirStreamsEnd() async throws {
        // The grace time is longer than the peer waits (10 s): each close must follow the
        // client's answer to the PING after the first GOAWAY and the end of the last stream.
        let maxStream = Double(Int32.max)
        try await Self.withPeers(yaml: "limits: { max_connection_age: 1s, graceful_close_timeout: 60s }") { _, peer in
            // The event stream is open when the connection comes of age: it is served on; the
            // second GOAWAY names it as the last, and the connection closes when it ends.
            let old = try await peer("close", "stream").event("closed")
            #expect(old?["answered"] == .bool(true))
            #expect(PythonPeer.integers(old, "goaways").map(Double.init) == [maxStream, 0, 1, 0])
            #expect(old?["closed"] == .bool(true))
        }
        try await Self.withPeers(yaml: "limits: { idle_timeout: 1s, graceful_close_timeout: 60s }") { _, peer in
            let idle = try await peer("close", "none").event("closed")
            #expect(PythonPeer.integers(idle, "goaways").map(Double.init) == [maxStream, 0, 0, 0])
            #expect(idle?["closed"] == .bool(true))
        }
    }

    /// Runs `body` against an adapter configured with `yaml`, with a starter of `h2peer.py` modes.
    private static func withPeers(
        yaml: String,
        _ body:
            @escaping @Sendable (_ http: HTTPTestAdapter, _ peer: (String, String...) throws -> PythonPeer) async throws
            -> Void
    ) async throws {
        try await ConformanceEnvironment.run(HTTPFixtures.options) { environment in
            let http = try await HTTPTestAdapter.make(environment, yaml: yaml)
            try await http.run {
                let port = try #require(URL(string: try await http.urls.httpURL(.h2c))?.port)
                let tlsPort = try #require(URL(string: try await http.urls.httpURL(.https))?.port)
                let token = environment.tokens.valid()
                // A mode whose first extra argument is `https` talks to the TLS listener.
                try await body(http) { mode, extra in
                    let (target, rest) = extra.first == "https" ? (tlsPort, Array(extra.dropFirst())) : (port, extra)
                    return try PythonPeer.start(
                        script: "Tests/FabricHTTPTests/peers/h2peer.py", [mode, String(target), token] + rest)
                }
            }
        }
    }
}
