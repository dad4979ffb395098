import FabricRouter

/// A rule source holding one text for the whole run.
struct StaticRouteSource: RouteSource {
    let text: String

    func updates() -> AsyncStream<RouteUpdate> {
        AsyncStream { continuation in
            continuation.yield(RouteUpdate(text: text, version: "conformance:1"))
        }
    }

    var description: String { "conformance" }
}
