import FabricAuth
import FabricCore
import FabricNATS
import Foundation
import Synchronization

extension WebSocketSession {
    /// Subscribes to topic filters: all of them or none. Each must be covered by a filter
    /// the client is allowed (`forbidden` otherwise); the `subscribed` frame is sent once
    /// the server has the subscriptions, so nothing published after it is missed.
    func subscribe(_ topics: [String], id: String?) async {
        var filters: [TopicFilter] = []
        for topic in topics {
            do { filters.append(try TopicFilter(topic)) } catch {
                reject(FrameError("invalid-topic", "topic \(error)"), id: id)
                return
            }
        }
        let limit = context.config.limits.maxSubscriptions
        let problem = state.withLock { state -> FrameError? in
            for filter in filters where !state.allowed.contains(where: { filter.isCovered(by: $0) }) {
                return FrameError("forbidden", "not allowed to subscribe to '\(filter.filter)'", status: .forbidden)
            }
            let added = Set(filters.map(\.filter)).subtracting(state.subscriptions.keys).count
            if state.subscriptions.count + added > limit {
                return FrameError("too-many-subscriptions", "at most \(limit) topic filters per connection")
            }
            return nil
        }
        if let problem {
            reject(problem, id: id)
            return
        }
        var created = false
        for filter in filters {
            let subjects = FabricNames.Subject.outTopic(filter: filter)
            let known = state.withLock { state -> Bool in
                if state.subscriptions[filter.filter] != nil { return true }
                state.subscriptions[filter.filter] = subjects
                return false
            }
            if known { continue }
            do {
                for subject in subjects where try context.fanout.join(subject, self) { created = true }
            } catch {
                reject(FrameError("unavailable", "cannot subscribe: \(error.message)", status: .unavailable), id: id)
                return
            }
        }
        if created { try? await context.connection.flush() }
        var fields: [String: JSONValue] = [
            "op": .string("subscribed"), "topics": .array(filters.map { .string($0.filter) }),
        ]
        if let id { fields["id"] = .string(id) }
        buffer.push(reply: .json(fields))
    }

    /// Unsubscribes from topic filters (unknown ones are ignored).
    func unsubscribe(_ topics: [String], id: String?) {
        let subjects = state.withLock { state -> [String] in
            topics.flatMap { state.subscriptions.removeValue(forKey: $0) ?? [] }
        }
        for subject in subjects { context.fanout.leave(subject, self) }
        var fields: [String: JSONValue] = ["op": .string("unsubscribed"), "topics": .array(topics.map(JSONValue.string))]
        if let id { fields["id"] = .string(id) }
        buffer.push(reply: .json(fields))
    }

    /// Replaces the session's token: same principal, new expiry and claims.
    func refresh(token: String, id: String?) async {
        let authorization = "Bearer \(token)"
        let claims: Claims
        do {
            claims = try await context.verifier.verify(authorization: authorization)
        } catch {
            context.metrics.authFailure(error.code)
            reject(FrameError(error.code.description, "token refused: \(error.reason)", status: .unauthorized), id: id)
            return
        }
        guard claims.principal == principal else {
            reject(FrameError("forbidden", "a refreshed token must be for the same principal", status: .forbidden), id: id)
            return
        }
        let expiry = VerifiedTokens.expiry(of: authorization).map { $0 &+ UInt64(max(0, context.leeway.milliseconds)) }
        let allowed = WebSocketSession.allowedFilters(claims: claims, config: context.config.subscribe)
        state.withLock { state in
            state.claims = claims
            state.expiry = expiry
            state.allowed = allowed
        }
        scheduleExpiry()
        var fields: [String: JSONValue] = ["op": .string("refreshed")]
        if let id { fields["id"] = .string(id) }
        if let expiry { fields["expires"] = .number(Double(expiry)) }
        buffer.push(reply: .json(fields))
    }

    /// The filters a caller may subscribe to: `ws.subscribe.allow` with `{principal}` and
    /// `{tenant}` filled in, plus the filters listed in the caller's `ws.subscribe.claim`.
    static func allowedFilters(claims: Claims, config: WebSocketConfig.Subscribe) -> [TopicFilter] {
        var filters: [TopicFilter] = []
        func isLevel(_ text: String) -> Bool {
            !text.isEmpty && !text.contains("/") && !text.contains("+") && !text.contains("#")
        }
        for pattern in config.allow {
            var filled = pattern
            if pattern.contains("{principal}") {
                guard isLevel(claims.principal) else { continue }
                filled = filled.replacingOccurrences(of: "{principal}", with: claims.principal)
            }
            if pattern.contains("{tenant}") {
                guard let tenant = claims.tenant, isLevel(tenant) else { continue }
                filled = filled.replacingOccurrences(of: "{tenant}", with: tenant)
            }
            if let filter = try? TopicFilter(filled) { filters.append(filter) }
        }
        if !config.claim.isEmpty, let other = claims.otherJSON, case .object(let values)? = JSONCodec.parse(other) {
            switch values[config.claim] {
            case .array(let items)?:
                for case .string(let text) in items { if let filter = try? TopicFilter(text) { filters.append(filter) } }
            case .string(let text)?:
                if let filter = try? TopicFilter(text) { filters.append(filter) }
            default:
                break
            }
        }
        return filters
    }
}
