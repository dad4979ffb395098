import FabricCore
import FabricNATS
import HTTPTypes
import Hummingbird
import NIOCore

extension HTTPIngress {
    /// A query through the edge cache: a hit never touches NATS; a miss is one backend
    /// call however many identical queries arrive meanwhile.
    func query(
        _ subject: String, _ headers: Headers, _ payload: [UInt8], type: String, forwarded: [ForwardedHeader],
        claims: Claims, request: Request, timeout: Duration, trace: RequestTrace
    ) async -> Response {
        guard let cache else {
            return answer(await send(subject, headers, payload, timeout: timeout), timeout: timeout, trace: trace)
        }
        let revalidate = request.headers.value(.cacheControl).map { $0.lowercased().contains("no-cache") } ?? false
        let result = await cache.serve(
            type: type, query: payload, forwarded: forwarded, claims: claims, revalidate: revalidate,
            fetch: { await self.send(subject, headers, payload, timeout: timeout) },
            cacheable: HTTPIngress.cacheable)
        switch result {
        case .hit(let entry):
            return cached(entry, label: "HIT", request: request, trace: trace)
        case .coalesced(let entry):
            return cached(entry, label: "COALESCED", request: request, trace: trace)
        case .fetched(_, let stored?):
            return cached(stored, label: "MISS", request: request, trace: trace)
        case .fetched(let outcome, nil):
            return answer(outcome, timeout: timeout, trace: trace, headers: [HTTPHeader.cacheStatus: "MISS"])
        }
    }

    /// What may be cached of a reply: an `ok` answer that carries `Fabric-Cache`.
    static func cacheable(_ outcome: Result<NATSMessage, NATSError>) -> EdgeCache.Verdict {
        guard case .success(let reply) = outcome,
            (reply.headers[HeaderName.status].flatMap(Status.init(rawValue:)) ?? .ok) == .ok
        else { return .skip }
        guard let value = reply.headers[HeaderName.cache] else { return .routeDoesNotCache }
        guard let policy = try? CachePolicy(headerValue: value) else { return .skip }
        return .keep(
            EdgeCache.Cacheable(payload: reply.payload, contentType: reply.headers[HeaderName.contentType], policy: policy))
    }

    /// A cached answer, or 304 when the client already holds it (`If-None-Match`).
    private func cached(_ entry: CachedAnswer, label: String, request: Request, trace: RequestTrace) -> Response {
        let now = clock()
        var headers = HTTPFields()
        headers[.eTag] = entry.etag
        headers[.age] = String(entry.age(at: now))
        // Never `public`: the answer was given to an authenticated caller.
        headers[.cacheControl] = "private, max-age=\(entry.maxAge(at: now))"
        headers[HTTPHeader.cacheStatus] = label
        if let condition = request.headers.value(.ifNoneMatch), entry.matches(ifNoneMatch: condition) {
            trace.stamp(&headers)
            return Response(status: .notModified, headers: headers)
        }
        return HTTPAnswer.bytes(entry.payload, contentType: entry.contentType, status: .ok, trace: trace, headers: headers)
    }
}
