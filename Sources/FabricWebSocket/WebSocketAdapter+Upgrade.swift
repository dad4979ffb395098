import FabricAuth
import FabricCore
import Foundation
import HummingbirdCore
import NIOCore
import NIOHTTP1

extension WebSocketAdapter {
    /// The subprotocol a client may offer beside its token; chosen when offered.
    static let subprotocol = "fabric.v1"
    /// Prefix of a `Sec-WebSocket-Protocol` entry that carries the bearer token.
    static let tokenProtocolPrefix = "bearer."

    /// Decides an upgrade request before anything is upgraded: path, room, load, token,
    /// session. Nil refuses it; `PlainHTTPResponder` then answers with the refusal recorded
    /// in `decision` (an HTTP answer, never a WebSocket).
    func shouldUpgrade(_ head: HTTPRequestHead, _ channel: any Channel, _ decision: UpgradeDecision) async -> HTTPHeaders? {
        guard decision.begin() else { return nil }
        let result = await decide(head, channel)
        decision.set(result.map(\.1))
        switch result {
        case .success(let (headers, _)):
            return headers
        case .failure(let refusal):
            context.metrics.refused(refusal.metric)
            return nil
        }
    }

    private func decide(
        _ request: HTTPRequestHead, _ channel: any Channel
    ) async -> Result<(HTTPHeaders, WebSocketSession), UpgradeRefusal> {
        // RFC 6455 §4.2.1; without it NIO's HTTP parser does not stop at the request either.
        let connection = request.headers["connection"].flatMap { $0.split(separator: ",") }
        guard connection.contains(where: { $0.trimmingCharacters(in: .whitespaces).lowercased() == "upgrade" }) else {
            return .failure(UpgradeRefusal(.rejected, "a WebSocket upgrade needs Connection: Upgrade", metric: "rejected"))
        }
        let uri = URI(request.uri)
        let mode: SessionMode
        if uri.path == "/v1/ws" {
            mode = .frames
        } else if uri.path.hasPrefix("/v1/raw/") {
            let type = String(uri.path.dropFirst("/v1/raw/".count))
            guard (try? MessageType.validate(type)) != nil else {
                return .failure(UpgradeRefusal(.rejected, "not a message type: '\(type.prefix(128))'", metric: "rejected"))
            }
            mode = .raw(type: type)
        } else {
            return .failure(UpgradeRefusal(.notFound, "no WebSocket endpoint at \(uri.path.prefix(128))", metric: "not-found"))
        }
        let config = context.config
        switch context.registry.reserve() {
        case .full?:
            return .failure(
                UpgradeRefusal(
                    .unavailable, "no room for another connection (\(config.limits.maxConnections))", metric: "full",
                    retryAfter: config.shedding.retryAfter))
        case .draining?:
            return .failure(
                UpgradeRefusal(.unavailable, "shutting down", metric: "draining", retryAfter: config.shedding.retryAfter))
        case nil:
            // The slot is given back when the TCP connection closes, however it ends.
            let registry = context.registry
            channel.closeFuture.whenComplete { _ in registry.release() }
        }
        if context.admission.inFlight >= context.admission.policy.limit {
            return .failure(
                UpgradeRefusal(.unavailable, "overloaded", metric: "shed", retryAfter: config.shedding.retryAfter))
        }
        let query = uri.queryParameters
        let offered = request.headers["sec-websocket-protocol"].flatMap {
            $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let authorization =
            request.headers.first(name: "authorization")
            ?? offered.first { $0.hasPrefix(Self.tokenProtocolPrefix) }.map {
                "Bearer " + $0.dropFirst(Self.tokenProtocolPrefix.count)
            }
            ?? query["access_token"].map { "Bearer \(String($0))" }
        let claims: Claims
        do {
            claims = try await context.verifier.verify(authorization: authorization)
        } catch {
            context.metrics.authFailure(error.code)
            return .failure(
                UpgradeRefusal(.unauthorized, error.reason, metric: "unauthorized", reason: error.code.description))
        }
        let session = query["session"].map(String.init) ?? FabricID.generate()
        guard !session.isEmpty, session.utf8.count <= 128, ClientFrame.isVisible(session, spaces: false) else {
            return .failure(UpgradeRefusal(.rejected, "a session is 1 to 128 visible ASCII characters", metric: "rejected"))
        }
        var resumeAfter: UInt64 = 0
        if let text = query["last_sequence"] {
            guard let value = UInt64(text) else {
                return .failure(UpgradeRefusal(.rejected, "last_sequence is the last outbox sequence seen", metric: "rejected"))
            }
            resumeAfter = value
        }
        let allowed = WebSocketSession.allowedFilters(claims: claims, config: config.subscribe)
        var rawTopics: [TopicFilter] = []
        if case .raw = mode {
            for name in query[values: "topic"] {
                guard let filter = try? TopicFilter(String(name)) else {
                    return .failure(UpgradeRefusal(.rejected, "not a topic filter: '\(name.prefix(128))'", metric: "rejected"))
                }
                guard allowed.contains(where: { filter.isCovered(by: $0) }) else {
                    return .failure(
                        UpgradeRefusal(.forbidden, "not allowed to subscribe to '\(filter.filter)'", metric: "rejected"))
                }
                rawTopics.append(filter)
            }
        }
        let expiry = authorization.flatMap(VerifiedTokens.expiry(of:)).map {
            $0 &+ UInt64(max(0, context.leeway.milliseconds))
        }
        var headers = HTTPHeaders()
        if offered.contains(Self.subprotocol) { headers.add(name: "sec-websocket-protocol", value: Self.subprotocol) }
        let created = WebSocketSession(
            clientID: FabricNames.clientID(principal: claims.principal, session: session), claims: claims, expiry: expiry,
            mode: mode, resumeAfter: resumeAfter, rawTopics: rawTopics, allowed: allowed, channel: channel, context: context)
        return .success((headers, created))
    }
}
