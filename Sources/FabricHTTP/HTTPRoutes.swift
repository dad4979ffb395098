import HTTPTypes
import Hummingbird

/// The adapter's four endpoints, matched by method and path in one look at the path.
///
/// Hummingbird's router resolved them through its trie, stored the type in the context's
/// parameters and formatted the endpoint's path for every request: about 2 % of an h2c
/// request's CPU for a table that never changes (`docs/architecture.md`). A path that is
/// not an endpoint is 404, as it was; a known path asked with another method is now 405
/// with `Allow` (the router answered 404).
struct HTTPRoutes: HTTPResponder {
    typealias Context = HTTPRequestContext

    /// Where a path leads.
    enum Endpoint: Equatable {
        /// `/v1/{publish|request|query}/{type}`; the type is checked by the ingress.
        case typed(HTTPIngress.Kind, Substring)
        /// `/v1/events`.
        case events
    }

    let ingress: HTTPIngress

    func respond(to request: Request, context: HTTPRequestContext) async throws -> Response {
        switch Self.endpoint(request.uri.path) {
        case .typed(let kind, let type)?:
            guard request.method == kind.method else { return Self.methodNotAllowed(kind.method) }
            return await ingress.handle(kind, type: type, request, context)
        case .events?:
            guard request.method == .get else { return Self.methodNotAllowed(.get) }
            return await ingress.events(request, context)
        case nil:
            return try HTTPError(.notFound).response(from: request, context: context)
        }
    }

    /// The endpoint of `path`; empty segments are skipped, as Hummingbird's router does.
    /// Reads the path once and keeps at most three segments, without an array.
    static func endpoint(_ path: String) -> Endpoint? {
        var segments = (Substring(), Substring(), Substring())
        var count = 0
        var start: String.Index?
        let utf8 = path.utf8
        var index = utf8.startIndex
        while true {
            let atEnd = index == utf8.endIndex
            if atEnd || utf8[index] == UInt8(ascii: "/") {
                if let first = start {
                    switch count {
                    case 0: segments.0 = path[first..<index]
                    case 1: segments.1 = path[first..<index]
                    case 2: segments.2 = path[first..<index]
                    default: return nil
                    }
                    count += 1
                    start = nil
                }
                if atEnd { break }
            } else if start == nil {
                start = index
            }
            index = utf8.index(after: index)
        }
        guard segments.0 == "v1" else { return nil }
        switch count {
        case 2: return segments.1 == "events" ? .events : nil
        case 3: return HTTPIngress.Kind(rawValue: String(segments.1)).map { .typed($0, segments.2) }
        default: return nil
        }
    }

    private static func methodNotAllowed(_ allowed: HTTPRequest.Method) -> Response {
        Response(status: .methodNotAllowed, headers: [.allow: allowed.rawValue, .contentLength: "0"])
    }
}

extension HTTPIngress.Kind {
    /// The method of the kind's endpoint.
    var method: HTTPRequest.Method { self == .query ? .get : .post }
}
