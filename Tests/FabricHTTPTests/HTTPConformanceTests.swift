import FabricConformance
import Testing

/// The adapter conformance suite against the HTTP adapter, over every client flavour.
@Suite("HTTP adapter conformance", .timeLimit(.minutes(5)))
struct HTTPConformanceTests {
    @Test(arguments: ConformanceCase.allCases, HTTPSubject.allCases)
    func conformance(_ testCase: ConformanceCase, _ subject: HTTPSubject) async throws {
        try await ConformanceSuite.run(testCase, subject)
    }
}
