import FabricAuth
import FabricCore
import FabricNATS
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension HTTPIngress {
    /// `GET /v1/events?topic=…`: a Server-Sent Events stream of topic messages and of the
    /// caller's own client and user messages.
    func events(_ request: Request, _ context: HTTPRequestContext) async -> Response {
        let started = ContinuousClock.now
        let trace = RequestTrace(headers: request.headers)
        let response = await openEvents(request, context, trace)
        metrics.request(
            route: "events", status: response.status.code, protocolVersion: context.protocolVersion,
            duration: ContinuousClock.now - started)
        return response
    }

    private func openEvents(_ request: Request, _ context: HTTPRequestContext, _ trace: RequestTrace) async -> Response {
        let query = request.uri.queryParameters
        let claims: Claims
        do {
            // EventSource in a browser cannot set headers: `access_token` is accepted here only.
            let authorization =
                request.headers[.authorization] ?? query["access_token"].map { "Bearer \(String($0))" }
            claims = try await verifier.verify(authorization: authorization)
        } catch {
            metrics.authFailure(error.code)
            return HTTPAnswer.unauthorized(error, trace: trace)
        }
        let names = query[values: "topic"]
        guard names.count <= config.events.maxTopics else {
            return HTTPAnswer.failure(.rejected, "at most \(config.events.maxTopics) topics per stream", trace: trace)
        }
        var topics: [TopicFilter] = []
        for name in names {
            do {
                topics.append(try TopicFilter(String(name)))
            } catch {
                return HTTPAnswer.failure(.rejected, "topic \(error)", trace: trace)
            }
        }
        let session = query["session"].map(String.init) ?? request.headers[HTTPHeader.session] ?? FabricID.generate()
        guard HTTPIngress.isValidSession(session) else {
            return HTTPAnswer.failure(.rejected, "a session is 1 to 128 visible ASCII characters", trace: trace)
        }
        var resumeAfter: UInt64?
        if let last = request.headers[HTTPHeader.lastEventID] ?? query["last_event_id"].map(String.init) {
            guard let sequence = UInt64(last.trimmingCharacters(in: .whitespaces)) else {
                return HTTPAnswer.failure(.rejected, "Last-Event-ID is an event id this adapter sent (a number)", trace: trace)
            }
            resumeAfter = sequence
        }
        let stream = EventStream(
            clientID: FabricNames.clientID(principal: claims.principal, session: session), principal: claims.principal,
            topics: topics, resumeAfter: resumeAfter, protocolName: (context.isHTTP2 ? Source.h2 : Source.http).rawValue,
            config: config.events, connection: connection, jetStream: jetStream, metrics: metrics, instance: instance,
            logger: logger)
        guard case .added(let displaced) = events.add(stream) else {
            return HTTPAnswer.failure(.unavailable, "no room for another event stream", trace: trace)
        }
        // A second stream of the same client id takes the session over (DESIGN "Sessions"):
        // the first stops answering before this one subscribes, and its disconnect goes out
        // before this one's connect.
        displaced?.takeOver()
        do {
            try stream.subscribe()
            // Once the server has the subscriptions, the `ready` event means "subscribed".
            try await connection.flush()
        } catch {
            stream.unsubscribe()
            events.remove(stream)
            return HTTPAnswer.failure(.unavailable, "cannot subscribe: \(error.message)", trace: trace)
        }
        stream.announce(.connect)
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        headers[HTTPHeader.accelBuffering] = "no"
        headers[HTTPHeader.clientID] = stream.clientID
        trace.stamp(&headers)
        let registry = events
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                defer {
                    stream.unsubscribe()
                    registry.remove(stream)
                    stream.announce(.disconnect)
                }
                try await stream.write(to: &writer)
            })
    }
}
