import FabricConformance
import FabricCore
import FabricHTTP
import FabricTestSupport
import Foundation

/// The conformance driver over the `curl` command line: HTTP/2 with prior knowledge on
/// the cleartext h2c listener (`--http2-prior-knowledge`), or ALPN on the TLS listener
/// (`--http2`).
struct CurlDriver: ConformanceDriver {
    let listener: HTTPAdapter.Listener
    let urls: ListenerURLs
    let certificate: TestCertificate
    let directory: String

    init(listener: HTTPAdapter.Listener, urls: ListenerURLs, certificate: TestCertificate) throws {
        self.listener = listener
        self.urls = urls
        self.certificate = certificate
        directory = try makeTemporaryDirectory("fabric-curl")
    }

    func waitUntilReady() async throws { _ = try await urls.url(listener) }

    func publish(_ message: ConformanceMessage) async throws -> ConformanceOutcome {
        try await send("/v1/publish/\(message.type)", message).outcome.outcome
    }

    func request(_ message: ConformanceMessage) async throws -> ConformanceOutcome {
        try await send("/v1/request/\(message.type)", message).outcome.outcome
    }

    func close() async { try? FileManager.default.removeItem(atPath: directory) }

    private func send(_ path: String, _ message: ConformanceMessage) async throws -> HTTPReply {
        var headers: [(String, String)] = message.metadata.map { ($0.name, $0.value) }
        if let token = message.token { headers.append(("Authorization", "Bearer \(token)")) }
        if let key = message.idempotencyKey { headers.append(("Idempotency-Key", key)) }
        if let timeout = message.timeout { headers.append(("Request-Timeout", "\(timeout.milliseconds)ms")) }
        headers.append(("Content-Type", "application/json"))
        let reply = try await Self.run(
            method: "POST", url: try await urls.httpURL(listener) + path, headers: headers, body: message.payload,
            http2: listener == .h2c ? .priorKnowledge : .negotiate, certificate: certificate, directory: directory)
        guard reply.version == "2" else { throw HTTPTestError("\(listener) answered curl over HTTP/\(reply.version)") }
        return reply
    }

    /// How curl speaks HTTP/2.
    enum HTTP2Mode {
        /// `--http2-prior-knowledge` (cleartext h2c).
        case priorKnowledge
        /// `--http2`: ALPN over TLS, HTTP/1.1 if the server declines.
        case negotiate
        /// `--http1.1`.
        case http1
    }

    /// Runs one curl and reads status, headers, body and protocol version.
    static func run(
        method: String, url: String, headers: [(String, String)] = [], body: [UInt8]? = nil, http2: HTTP2Mode,
        certificate: TestCertificate, directory: String
    ) async throws -> HTTPReply {
        let id = FabricID.generate()
        let bodyFile = "\(directory)/\(id).body"
        let headerFile = "\(directory)/\(id).headers"
        let inputFile = "\(directory)/\(id).input"
        defer {
            for file in [bodyFile, headerFile, inputFile] { try? FileManager.default.removeItem(atPath: file) }
        }
        var arguments = ["-s", "-S", "-X", method, "-o", bodyFile, "-D", headerFile, "-w", "%{http_code} %{http_version}"]
        switch http2 {
        case .priorKnowledge: arguments.append("--http2-prior-knowledge")
        case .negotiate: arguments += ["--http2", "--cacert", certificate.certFile]
        case .http1: arguments += ["--http1.1", "--cacert", certificate.certFile]
        }
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if let body {
            _ = FileManager.default.createFile(atPath: inputFile, contents: Data(body))
            arguments += ["--data-binary", "@\(inputFile)"]
        }
        arguments.append(url)
        let curl = try ChildProcess("curl", arguments: arguments)
        guard await curl.waitForExit(timeout: .seconds(60)) == 0 else { throw HTTPTestError("curl failed: \(curl.output)") }
        let summary = curl.output.split(separator: " ")
        guard summary.count == 2, let status = Int(summary[0]) else { throw HTTPTestError("curl said \(curl.output)") }
        var fields: [String: String] = [:]
        let headerText = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        for line in headerText.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let bytes = FileManager.default.contents(atPath: bodyFile).map { [UInt8]($0) } ?? []
        return HTTPReply(status: status, headers: fields, body: bytes, version: String(summary[1]))
    }
}
