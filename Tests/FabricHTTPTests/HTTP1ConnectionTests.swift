import FabricConformance
import FabricCore
import FabricNATS
import FabricTestSupport
import Foundation
import Testing

@testable import FabricHTTP

/// fabric's HTTP/1.1 connection handler (`HTTP1ServerChannel`) against a hand-written client
/// (`peers/h1peer.py`): pipelining, half-closed sockets, refused bodies and garbage.
@Suite("HTTP/1.1 connection handler", .timeLimit(.minutes(3)))
struct HTTP1ConnectionTests {
    @Test func pipelinedHalfClosedOversizedContinuedClosingAndMalformedRequests() async throws {
        try await ConformanceEnvironment.run(HTTPFixtures.options) { environment in
            let http = try await HTTPTestAdapter.make(environment, yaml: "limits: { max_body_size: 16KiB }")
            try await http.run {
                let port = try #require(URL(string: try await http.urls.httpURL(.http))?.port)
                let token = environment.tokens.valid()
                func peer(_ mode: String, _ extra: String...) throws -> PythonPeer {
                    try PythonPeer.start(script: "Tests/FabricHTTPTests/peers/h1peer.py", [mode, String(port), token] + extra)
                }

                // Twenty requests in one write: each answered, in order, on the one connection
                // (the handler holds the ones behind the request being answered).
                let pipelined = try await peer("pipeline", "20").event("answers")
                #expect(PythonPeer.integers(pipelined, "statuses") == Array(repeating: 200, count: 20))
                #expect(PythonPeer.integers(pipelined, "order") == Array(1...20))
                // Their NATS requests went through the event loops' publish batches.
                #expect(http.adapter.ingress.batches.sentCount >= 20)

                // Two thousand requests held behind one that waits, each answered at once when
                // its turn comes: taken up one after the other, not one inside the other.
                let burst = try await peer("burst", "2000").event("answers")
                #expect(burst?["first"]?.numberValue == 200)
                #expect(burst?["notFound"]?.numberValue == 2000)

                // A client that shuts its side after a request still gets the answer, then the close.
                let halfClosed = try await peer("halfclose").event("answer")
                #expect(halfClosed?["status"]?.numberValue == 200)
                #expect(halfClosed?["closed"] == .bool(true))

                // A body past the limit: 413, its rest read and dropped, the connection goes on.
                let oversized = try await peer("oversized", String(20 << 10)).event("answer")
                #expect(oversized?["status"]?.numberValue == 413)
                #expect(oversized?["next"]?.numberValue == 200)

                // A client that asks before sending its body is told to go on, then answered.
                let continued = try await peer("continue").event("answers")
                #expect(PythonPeer.integers(continued, "statuses") == [100, 200])

                // A request after one that said Connection: close is neither answered nor
                // started (RFC 9112 §9.6): a sentinel published afterwards arrives alone.
                let nonce = FabricID.generate()
                let closing = try await peer("closefirst", nonce).event("answer")
                #expect(closing?["status"]?.numberValue == 404)
                #expect(closing?["closed"] == .bool(true))
                let sentinel = FabricID.generate()
                let published = try await peer("publish", "note.sentinel", sentinel).event("answer")
                #expect(published?["status"]?.numberValue == 202)
                #expect(await environment.spy.first { $0.text.contains(sentinel) } != nil)
                #expect(!environment.spy.messages.contains { $0.text.contains(nonce) })

                // Bytes that are not HTTP after a request: its answer first, then 400, then the close.
                let badAfter = try await peer("badafter").event("answers")
                #expect(PythonPeer.integers(badAfter, "statuses") == [200, 400])
                #expect(badAfter?["closed"] == .bool(true))

                // An event stream whose client goes away ends at once (its task is cancelled),
                // not at its next heartbeat's failed write.
                #expect(try await peer("sse").event("stream")?["status"]?.numberValue == 200)
                #expect(await eventually { http.adapter.ingress.events.count == 0 })

                // Not HTTP: 400, and the connection is closed.
                let malformed = try await peer("malformed").event("answer")
                #expect(malformed?["status"]?.numberValue == 400)
                #expect(malformed?["closed"] == .bool(true))
            }
        }
    }
}
