import FabricCore
import Synchronization

/// The rule set in force, swapped whole on reload; readers never see half a set.
final class RouteTable: Sendable {
    /// A compiled set with what the hot path needs precomputed.
    struct Compiled: Sendable {
        let matcher: RouteMatcher
        let headerNames: [String]
        let needsPayload: Bool
        let counters: [String: RouterMetrics.PerRoute]
        let version: String

        init(_ routes: RouteSet) {
            matcher = RouteMatcher(routes)
            headerNames = routes.referencedHeaders.sorted()
            var all = routes.routes
            if case .route(let fallback) = routes.fallback { all.append(fallback) }
            needsPayload = all.contains { route in
                if route.match.needsPayload { return true }
                if case .payload? = route.partition?.key { return true }
                return false
            }
            counters = Dictionary(all.map { ($0.name, RouterMetrics.PerRoute($0.name)) }, uniquingKeysWith: { first, _ in first })
            version = routes.version
        }
    }

    private let state = Mutex<Compiled?>(nil)

    var current: Compiled? { state.withLock { $0 } }

    func replace(with compiled: Compiled) { state.withLock { $0 = compiled } }
}
