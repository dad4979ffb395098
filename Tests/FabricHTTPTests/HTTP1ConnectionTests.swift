import FabricConformance
import FabricCore
import FabricHTTP
import FabricTestSupport
import Foundation
import Testing

/// fabric's HTTP/1.1 connection handler (`HTTP1ServerChannel`) against a hand-written client
/// (`peers/h1peer.py`): pipelining, half-closed sockets, refused bodies and garbage.
@Suite("HTTP/1.1 connection handler", .timeLimit(.minutes(3)))
struct HTTP1ConnectionTests {
    @Test func pipelinedHalfClosedOversizedContinuedAndMalformedRequests() async throws {
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

                // Not HTTP: 400, and the connection is closed.
                let malformed = try await peer("malformed").event("answer")
                #expect(malformed?["status"]?.numberValue == 400)
                #expect(malformed?["closed"] == .bool(true))
            }
        }
    }
}
