import FabricConformance
import FabricCore
import FabricNATS

/// The WebSocket adapter under the conformance suite.
enum WebSocketSubject: String, ConformanceSubject, CaseIterable {
    /// HummingbirdWSClient on `/v1/ws`.
    case swift = "HummingbirdWSClient"

    var source: Source { .ws }

    var description: String { rawValue }

    func start(in environment: ConformanceEnvironment) async throws -> ConformanceAdapter {
        let adapter = try await WSTestAdapter.make(
            natsURL: environment.natsURL, auth: environment.authConfig,
            yaml: "limits: { max_payload: \(ConformanceEnvironment.maxPayload) }")
        let connection = adapter.connection
        return ConformanceAdapter(
            service: adapter.adapter, driver: WebSocketDriver(url: adapter.url), cleanup: { connection.close() })
    }
}
