import FabricConformance
import FabricCore
import FabricHTTP
import FabricNATS
import FabricTestSupport
import Foundation
import NIOHTTP1
import Testing

@Suite("HTTP listeners, headers and metrics", .timeLimit(.minutes(3)))
struct ProtocolTests {
    @Test func everyListenerSpeaksItsProtocols() async throws {
        try await ConformanceEnvironment.run { environment in
            let http = try await HTTPTestAdapter.make(environment)
            try await http.run {
                let certificate = try await TestCertificate.shared()
                let directory = try makeTemporaryDirectory("fabric-curl")
                defer { try? FileManager.default.removeItem(atPath: directory) }
                let headers = [("Authorization", "Bearer \(environment.tokens.valid())")]
                func curl(_ listener: HTTPAdapter.Listener, _ mode: CurlDriver.HTTP2Mode) async throws -> HTTPReply {
                    try await CurlDriver.run(
                        method: "POST", url: try await http.urls.httpURL(listener) + "/v1/request/echo", headers: headers,
                        body: Array("{}".utf8), http2: mode, certificate: certificate, directory: directory)
                }
                // TLS: ALPN picks h2, and HTTP/1.1 when the client offers only that.
                let alpnH2 = try await curl(.https, .negotiate)
                #expect(alpnH2.status == 200)
                #expect(alpnH2.version == "2")
                let alpnH1 = try await curl(.https, .http1)
                #expect(alpnH1.status == 200)
                #expect(alpnH1.version == "1.1")
                // Cleartext: HTTP/2 with prior knowledge on its own port, HTTP/1.1 on the other.
                let h2c = try await curl(.h2c, .priorKnowledge)
                #expect(h2c.status == 200)
                #expect(h2c.version == "2")
                let h1 = try await curl(.http, .http1)
                #expect(h1.status == 200)
                #expect(h1.version == "1.1")
                // The h2c port serves no HTTP/1.1.
                await #expect(throws: (any Error).self) { try await curl(.h2c, .http1) }
            }
        }
    }

    @Test func correlationIDAndTraceContextAreTakenWhenValidAndReturned() async throws {
        try await ConformanceEnvironment.run { environment in
            let http = try await HTTPTestAdapter.make(environment)
            try await http.run {
                let client = try AsyncHTTPDriver(
                    listener: .http, urls: http.urls, certificate: try await TestCertificate.shared())
                let auth = ("Authorization", "Bearer \(environment.tokens.valid())")
                let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                let given = try await client.execute(
                    .POST, "/v1/request/echo",
                    headers: [auth, ("X-Correlation-Id", "order-42"), ("traceparent", parent), ("Request-Timeout", "2.5")],
                    body: Array(#"{"mark":"given"}"#.utf8))
                #expect(given.status == 200)
                #expect(given.headers["x-correlation-id"] == "order-42")
                #expect(given.headers["traceparent"] == parent)
                let inbound = try #require(
                    await environment.spy.first { $0.subject == "fabric.in.echo" && $0.text.contains("given") })
                #expect(inbound.headers[HeaderName.correlationId] == "order-42")
                #expect(inbound.headers[HeaderName.traceparent] == parent)
                let time = try #require(inbound.headers[HeaderName.time].flatMap(UInt64.init))
                #expect(inbound.headers[HeaderName.deadline].flatMap(UInt64.init) == time + 2500)

                // Invalid ones are replaced, never forwarded.
                let replaced = try await client.execute(
                    .POST, "/v1/request/echo",
                    headers: [auth, ("X-Correlation-Id", "has space"), ("traceparent", "00-garbage"), ("Request-Timeout", "1h")],
                    body: Array(#"{"mark":"replaced"}"#.utf8))
                #expect(replaced.status == 200)
                let correlation = try #require(replaced.headers["x-correlation-id"])
                #expect(correlation != "has space" && FabricID.isValid(correlation))
                #expect(TraceParent.validated(replaced.headers["traceparent"]) != nil)
                let second = try #require(
                    await environment.spy.first { $0.subject == "fabric.in.echo" && $0.text.contains("replaced") })
                #expect(second.headers[HeaderName.traceparent] == replaced.headers["traceparent"])
                let secondTime = try #require(second.headers[HeaderName.time].flatMap(UInt64.init))
                // Clamped to max_request_timeout (5m).
                #expect(second.headers[HeaderName.deadline].flatMap(UInt64.init) == secondTime + 300_000)

                let unreadable = try await client.execute(
                    .POST, "/v1/request/echo", headers: [auth, ("Request-Timeout", "soon")], body: Array("{}".utf8))
                #expect(unreadable.status == 400)
                let badKey = try await client.execute(
                    .POST, "/v1/publish/note.x", headers: [auth, ("Idempotency-Key", "with space")], body: Array("{}".utf8))
                #expect(badKey.status == 400)
                let badType = try await client.execute(.POST, "/v1/request/bad$type", headers: [auth], body: Array("{}".utf8))
                #expect(badType.status == 400)
                let noRoute = try await client.execute(.POST, "/v1/request/nothing.here", headers: [auth], body: Array("{}".utf8))
                #expect(noRoute.status == 404)
                #expect(noRoute.field("status") == "not-found")
                // Paths that are no endpoint are 404; an endpoint asked with another method, 405.
                #expect(try await client.execute(.GET, "/v1/nowhere/echo", headers: [auth]).status == 404)
                #expect(try await client.execute(.GET, "/v1/request/echo/more", headers: [auth]).status == 404)
                let wrongMethod = try await client.execute(.GET, "/v1/request/echo", headers: [auth])
                #expect(wrongMethod.status == 405)
                #expect(wrongMethod.headers["allow"] == "POST")
                #expect(try await client.execute(.POST, "/v1/query/echo", headers: [auth], body: []).headers["allow"] == "GET")
                #expect(try await client.execute(.POST, "/v1/events", headers: [auth], body: []).status == 405)
                await client.close()
            }
        }
    }

    @Test func oversizedHeadersAreRefusedWith431() async throws {
        try await ConformanceEnvironment.run { environment in
            let http = try await HTTPTestAdapter.make(environment, yaml: "limits: { max_header_size: 4KiB }")
            try await http.run {
                let directory = try makeTemporaryDirectory("fabric-curl")
                defer { try? FileManager.default.removeItem(atPath: directory) }
                let start = environment.spy.messages.count
                let reply = try await CurlDriver.run(
                    method: "POST", url: try await http.urls.httpURL(.h2c) + "/v1/publish/note.big",
                    headers: [
                        ("Authorization", "Bearer \(environment.tokens.valid())"),
                        ("X-Region", String(repeating: "e", count: 5000)),
                    ],
                    body: Array("{}".utf8), http2: .priorKnowledge, certificate: try await TestCertificate.shared(),
                    directory: directory)
                #expect(reply.status == 431)
                #expect(reply.field("status") == "rejected")
                #expect(environment.spy.messages.count == start)
            }
        }
    }

    @Test func metricsCountRequestsAuthFailuresAndLatency() async throws {
        try await ConformanceEnvironment.run { environment in
            let http = try await HTTPTestAdapter.make(environment)
            try await http.run {
                let client = try AsyncHTTPDriver(
                    listener: .http, urls: http.urls, certificate: try await TestCertificate.shared())
                let ok = "fabric_http_requests_total{route=\"request\",status=\"200\",protocol=\"1.1\"}"
                let expired = "fabric_http_auth_failures_total{reason=\"expired\"}"
                let (okBefore, expiredBefore) = (TestMetrics.value(ok), TestMetrics.value(expired))
                let answered = try await client.execute(
                    .POST, "/v1/request/echo", headers: [("Authorization", "Bearer \(environment.tokens.valid())")],
                    body: Array("{}".utf8))
                #expect(answered.status == 200)
                let refused = try await client.execute(
                    .POST, "/v1/request/echo", headers: [("Authorization", "Bearer \(environment.tokens.forged(.expired)!)")],
                    body: Array("{}".utf8))
                #expect(refused.status == 401)
                #expect(TestMetrics.value(ok) >= okBefore + 1)
                #expect(TestMetrics.value(expired) >= expiredBefore + 1)
                #expect(TestMetrics.text.contains("fabric_http_request_duration_seconds_count{route=\"request\"}"))
                #expect(TestMetrics.text.contains("fabric_http_in_flight"))
                await client.close()
            }
        }
    }
}
