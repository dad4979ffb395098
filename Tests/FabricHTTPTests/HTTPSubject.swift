import FabricConformance
import FabricCore
import FabricHTTP
import FabricNATS
import FabricTestSupport

/// The HTTP adapter under the conformance suite, through each client flavour.
enum HTTPSubject: String, ConformanceSubject, CaseIterable {
    /// AsyncHTTPClient, HTTP/1.1 on the cleartext listener.
    case http1 = "AsyncHTTPClient HTTP/1.1"
    /// AsyncHTTPClient, HTTP/2 on the TLS listener (ALPN).
    case http2 = "AsyncHTTPClient HTTP/2 over TLS"
    /// curl --http2-prior-knowledge on the h2c listener.
    case h2c = "curl --http2-prior-knowledge"

    var source: Source { self == .http1 ? .http : .h2 }

    var description: String { rawValue }

    func start(in environment: ConformanceEnvironment) async throws -> ConformanceAdapter {
        let adapter = try await HTTPTestAdapter.make(
            environment, yaml: "limits: { max_body_size: \(ConformanceEnvironment.maxPayload) }")
        let certificate = try await TestCertificate.shared()
        let driver: any ConformanceDriver =
            switch self {
            case .http1: try AsyncHTTPDriver(listener: .http, urls: adapter.urls, certificate: certificate)
            case .http2: try AsyncHTTPDriver(listener: .https, urls: adapter.urls, certificate: certificate)
            case .h2c: try CurlDriver(listener: .h2c, urls: adapter.urls, certificate: certificate)
            }
        let connection = adapter.connection
        return ConformanceAdapter(service: adapter.adapter, driver: driver, cleanup: { connection.close() })
    }
}
