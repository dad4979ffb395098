import AsyncHTTPClient
import FabricConformance
import FabricCore
import FabricHTTP
import FabricTestSupport
import NIOCore
import NIOHTTP1
import NIOSSL

/// The conformance driver over AsyncHTTPClient: HTTP/1.1 on the cleartext listener, or
/// HTTP/2 on the TLS listener (ALPN h2).
final class AsyncHTTPDriver: ConformanceDriver {
    let client: HTTPClient
    let listener: HTTPAdapter.Listener
    let urls: ListenerURLs
    let expectedVersion: String

    /// A client for `listener`; HTTP/2 only for `.https`.
    init(listener: HTTPAdapter.Listener, urls: ListenerURLs, certificate: TestCertificate) throws {
        var configuration = HTTPClient.Configuration()
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(certificate.certFile)
        configuration.tlsConfiguration = tls
        configuration.httpVersion = listener == .https ? .automatic : .http1Only
        configuration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.listener = listener
        self.urls = urls
        expectedVersion = listener == .https ? "2" : "1.1"
    }

    func waitUntilReady() async throws { _ = try await urls.url(listener) }

    func publish(_ message: ConformanceMessage) async throws -> ConformanceOutcome {
        try await send("/v1/publish/\(message.type)", message).outcome.outcome
    }

    func request(_ message: ConformanceMessage) async throws -> ConformanceOutcome {
        try await send("/v1/request/\(message.type)", message).outcome.outcome
    }

    func close() async { try? await client.shutdown() }

    /// Sends a conformance message as the adapter's HTTP API expects it.
    func send(_ path: String, _ message: ConformanceMessage) async throws -> HTTPReply {
        var headers: [(String, String)] = message.metadata.map { ($0.name, $0.value) }
        if let token = message.token { headers.append(("Authorization", "Bearer \(token)")) }
        if let key = message.idempotencyKey { headers.append(("Idempotency-Key", key)) }
        if let timeout = message.timeout { headers.append(("Request-Timeout", "\(timeout.milliseconds)ms")) }
        headers.append(("Content-Type", "application/json"))
        let reply = try await execute(.POST, path, headers: headers, body: message.payload)
        guard reply.version == expectedVersion else {
            throw HTTPTestError("\(listener) answered over HTTP/\(reply.version), expected HTTP/\(expectedVersion)")
        }
        return reply
    }

    /// One request on this driver's listener.
    func execute(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil
    ) async throws
        -> HTTPReply
    {
        var request = HTTPClientRequest(url: try await urls.url(listener) + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(body) }
        let response = try await client.execute(request, timeout: .seconds(60))
        let collected = try await response.body.collect(upTo: 16 << 20)
        var fields: [String: String] = [:]
        for header in response.headers { fields[header.name.lowercased()] = header.value }
        return HTTPReply(
            status: Int(response.status.code), headers: fields, body: Array(collected.readableBytesView),
            version: response.version.major == 2 ? "2" : "1.1")
    }
}
