import Testing

@testable import FabricHTTP

@Suite("HTTPRoutes")
struct HTTPRoutesTests {
    @Test func pathsLeadWhereHummingbirdsRouterLedThem() {
        #expect(HTTPRoutes.endpoint("/v1/request/echo") == .typed(.request, "echo"))
        #expect(HTTPRoutes.endpoint("/v1/publish/note.created") == .typed(.publish, "note.created"))
        #expect(HTTPRoutes.endpoint("/v1/query/query.echo") == .typed(.query, "query.echo"))
        #expect(HTTPRoutes.endpoint("/v1/events") == .events)
        // Empty segments are skipped, as the trie skipped them.
        #expect(HTTPRoutes.endpoint("/v1/request/echo/") == .typed(.request, "echo"))
        #expect(HTTPRoutes.endpoint("//v1//events/") == .events)
        // The type is the ingress's to check (400), whatever it holds.
        #expect(HTTPRoutes.endpoint("/v1/request/bad$type") == .typed(.request, "bad$type"))
        for path in [
            "", "/", "/v1", "/v2/request/echo", "/v1/requests/echo", "/v1/request/echo/more", "/v1/events/x",
            "/v1/Request/echo", "/V1/events", "/v1/request",
        ] {
            #expect(HTTPRoutes.endpoint(path) == nil, "\(path)")
        }
    }
}
