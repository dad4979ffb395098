import FabricRouter

/// Rules given by the test, in force from the start.
struct StaticRouteSource: RouteSource {
    let text: String

    func updates() -> AsyncStream<RouteUpdate> {
        let (stream, continuation) = AsyncStream.makeStream(of: RouteUpdate.self)
        continuation.yield(RouteUpdate(text: text, version: "test:1"))
        return stream
    }

    var description: String { "test" }
}
