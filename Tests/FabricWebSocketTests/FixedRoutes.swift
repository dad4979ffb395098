import FabricRouter

/// A rule source holding one text for the whole test.
struct FixedRoutes: RouteSource {
    let text: String

    func updates() -> AsyncStream<RouteUpdate> {
        AsyncStream { continuation in continuation.yield(RouteUpdate(text: text, version: "ws-test:1")) }
    }

    var description: String { "ws-test" }
}
