import FabricConformance
import Testing

/// The adapter conformance suite against the WebSocket adapter.
@Suite("WebSocket adapter conformance", .timeLimit(.minutes(5)))
struct WebSocketConformanceTests {
    @Test(arguments: ConformanceCase.allCases, WebSocketSubject.allCases)
    func conformance(_ testCase: ConformanceCase, _ subject: WebSocketSubject) async throws {
        try await ConformanceSuite.run(testCase, subject)
    }
}
