import Synchronization

/// A compiled rule set: an index of type patterns by subject token, so finding the rules
/// that can match a type does not grow with the number of rules.
///
/// The candidate list of each concrete type is computed once from the index and cached
/// (bounded); matching a message is then a dictionary lookup plus the conditions of its
/// candidates, in rule order.
public final class RouteMatcher: Sendable {
    /// The rules.
    public let routes: RouteSet
    private let index: TypeIndex
    private let cache = Mutex<[String: [Int]]>([:])
    private static let cacheLimit = 50_000

    /// Compiles a rule set.
    public init(_ routes: RouteSet) {
        self.routes = routes
        self.index = TypeIndex(routes.routes)
    }

    /// The outcome of matching one message.
    public enum Decision: Sendable {
        /// Routed by these rules, in order (more than one with `continue`), or by the default.
        case routed([Route])
        /// A matching rule requires claims the sender lacks.
        case forbidden(Route, reason: String)
        /// No rule matched and the default is `not-found`.
        case unmatched
    }

    /// Matches `input` against the rules.
    public func match(_ input: inout RoutingInput) -> Decision {
        var matched: [Route] = []
        for candidate in candidates(for: input.type) {
            let route = routes.routes[candidate]
            guard route.match.firstFailure(&input) == nil else { continue }
            if let missing = route.missingRequirement(&input) { return .forbidden(route, reason: missing) }
            matched.append(route)
            if !route.continues { break }
        }
        if !matched.isEmpty { return .routed(matched) }
        if case .route(let fallback) = routes.fallback {
            if let missing = fallback.missingRequirement(&input) { return .forbidden(fallback, reason: missing) }
            return .routed([fallback])
        }
        return .unmatched
    }

    /// Why each rule matched or not, in order (for `fabric routes test`; not the hot path).
    public func explain(_ input: inout RoutingInput) -> [(route: Route, outcome: String)] {
        var result: [(route: Route, outcome: String)] = []
        var done = false
        for route in routes.routes {
            if done {
                result.append((route, "not evaluated: an earlier rule matched without 'continue'"))
                continue
            }
            if let type = route.match.type, !type.matches(input.type) {
                result.append((route, "type \(input.type) does not match \(type)"))
            } else if let failure = route.match.firstFailure(&input) {
                result.append((route, failure))
            } else if let missing = route.missingRequirement(&input) {
                result.append((route, "matches, but forbidden: \(missing)"))
                done = true
            } else {
                result.append((route, "matches"))
                done = !route.continues
            }
        }
        return result
    }

    /// Indices of the rules whose type pattern matches `type`, in rule order.
    func candidates(for type: String) -> [Int] {
        if let cached = cache.withLock({ $0[type] }) { return cached }
        let found = index.lookup(type)
        cache.withLock { cache in
            if cache.count >= RouteMatcher.cacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[type] = found
        }
        return found
    }
}

/// A trie over type-pattern tokens.
struct TypeIndex: Sendable {
    private final class Node: @unchecked Sendable {
        // Built once in TypeIndex.init and only read afterwards.
        var literal: [Substring: Node] = [:]
        var one: Node?
        var ends: [Int] = []
        var rest: [Int] = []
    }

    private let root = Node()
    private let everyType: [Int]

    init(_ routes: [Route]) {
        var everyType: [Int] = []
        for (position, route) in routes.enumerated() {
            guard let pattern = route.match.type else {
                everyType.append(position)
                continue
            }
            var node = root
            for token in pattern.tokens {
                switch token {
                case .literal(let text):
                    let key = Substring(text)
                    if let next = node.literal[key] {
                        node = next
                    } else {
                        let next = Node()
                        node.literal[key] = next
                        node = next
                    }
                case .one:
                    if let next = node.one {
                        node = next
                    } else {
                        let next = Node()
                        node.one = next
                        node = next
                    }
                case .rest:
                    node.rest.append(position)
                }
            }
            if pattern.tokens.last != .rest { node.ends.append(position) }
        }
        self.everyType = everyType
    }

    func lookup(_ type: String) -> [Int] {
        let tokens = type.split(separator: ".", omittingEmptySubsequences: false)
        var found = everyType
        collect(root, tokens[...], into: &found)
        found.sort()
        return found
    }

    private func collect(_ node: Node, _ tokens: ArraySlice<Substring>, into found: inout [Int]) {
        guard let token = tokens.first else {
            found += node.ends
            return
        }
        found += node.rest
        if let next = node.literal[token] { collect(next, tokens.dropFirst(), into: &found) }
        if let next = node.one { collect(next, tokens.dropFirst(), into: &found) }
    }
}
