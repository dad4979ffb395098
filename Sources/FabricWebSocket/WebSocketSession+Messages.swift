import FabricCore
import FabricNATS
import Foundation
import Synchronization

extension WebSocketSession {
    /// A publish: the router's ack (`Fabric-Expect: ack`) becomes an `ack` or `nack` frame.
    func publish(_ message: OutgoingMessage, ack: String?) async {
        let outcome = await send(message, expect: .ack)
        switch outcome {
        case .refused(let error, let correlation):
            if let ack {
                buffer.push(
                    reply: .reply(
                        op: "nack", idField: "ack", id: ack, status: error.status, error: error.message,
                        correlationID: correlation))
            } else {
                reject(error)
            }
        case .closed:
            return
        case .answered(let reply, let envelope):
            let status = reply.headers[HeaderName.status].flatMap(Status.init(rawValue:)) ?? .ok
            let correlation = envelope.correlationID ?? ""
            if status == .ok {
                guard let ack else { return }
                buffer.push(
                    reply: .reply(
                        op: "ack", idField: "ack", id: ack, status: .ok, error: nil, correlationID: correlation,
                        fabricID: envelope.id))
            } else {
                let error = reply.headers[HeaderName.error] ?? "the router answered \(status.rawValue)"
                if let ack {
                    buffer.push(
                        reply: .reply(
                            op: "nack", idField: "ack", id: ack, status: status, error: error, correlationID: correlation,
                            fabricID: envelope.id))
                } else {
                    reject(FrameError("publish-failed", error, status: status))
                }
            }
        }
    }

    /// A request: the backend's answer becomes a `response` frame with the request's `id`.
    func request(_ message: OutgoingMessage, id: String) async {
        switch await send(message, expect: .reply) {
        case .refused(let error, let correlation):
            buffer.push(
                reply: .reply(
                    op: "response", idField: "id", id: id, status: error.status, error: error.message,
                    correlationID: correlation))
        case .closed:
            return
        case .answered(let reply, let envelope):
            let status = reply.headers[HeaderName.status].flatMap(Status.init(rawValue:)) ?? .ok
            buffer.push(
                reply: .reply(
                    op: "response", idField: "id", id: id, status: status,
                    error: status == .ok ? nil : reply.headers[HeaderName.error], correlationID: envelope.correlationID ?? "",
                    headers: reply.headers, payload: reply.payload))
        }
    }

    /// Raw mode: the frame's bytes are a request of `type`; the answer comes back as a
    /// plain frame of the same kind.
    func rawRequest(type: String, payload: [UInt8], text: Bool) async {
        let message = OutgoingMessage(
            type: type, payload: payload, contentType: text ? "text/plain; charset=utf-8" : "application/octet-stream",
            key: nil, topic: nil, correlationID: nil, traceparent: nil, tracestate: nil, headers: [], timeout: nil)
        switch await send(message, expect: .reply) {
        case .refused(let error, _):
            if error.code == "overloaded" || error.code == "too-many-in-flight" {
                buffer.close(.overloaded, error.message, flush: false)
            } else {
                let body = JSONCodec.encodeSorted(["status": error.status.rawValue, "error": error.message])
                buffer.push(reply: .raw(Array(body.utf8), asText: text))
            }
        case .closed:
            return
        case .answered(let reply, _):
            let status = reply.headers[HeaderName.status].flatMap(Status.init(rawValue:)) ?? .ok
            if status == .ok || !reply.payload.isEmpty {
                buffer.push(reply: .raw(reply.payload, asText: text))
            } else {
                let body = JSONCodec.encodeSorted([
                    "status": status.rawValue,
                    "error": reply.headers[HeaderName.error] ?? "the fabric answered \(status.rawValue)",
                ])
                buffer.push(reply: .raw(Array(body.utf8), asText: text))
            }
        }
    }

    /// What became of a message sent into the fabric.
    enum SendOutcome: Sendable {
        /// The router's or the backend's answer.
        case answered(NATSMessage, Envelope)
        /// Refused by the adapter or unanswered (timeout, no router), with the correlation id.
        case refused(FrameError, String)
        /// The session closed because of it (payload too large); nothing to answer.
        case closed
    }

    /// Checks, builds the envelope, publishes as a request and waits for the answer.
    func send(_ message: OutgoingMessage, expect: Expect) async -> SendOutcome {
        let limits = context.config.limits
        let correlation = message.correlationID ?? FabricID.generate()
        let admitted = state.withLock { state -> FrameError? in
            if state.draining { return FrameError("shutting-down", "the adapter is shutting down", status: .unavailable) }
            guard state.inFlight < limits.maxInFlight else {
                return FrameError(
                    "too-many-in-flight", "more than \(limits.maxInFlight) messages of this connection wait for answers",
                    status: .unavailable)
            }
            state.inFlight += 1
            return nil
        }
        if let admitted { return .refused(admitted, correlation) }
        defer { finishedOne() }
        let priority = context.priorities.priority(for: message.type)
        guard context.admission.admit(priority) else {
            return .refused(
                FrameError("overloaded", "overloaded: \(priority.rawValue) messages are refused for now", status: .unavailable),
                correlation)
        }
        defer { context.admission.release() }
        guard message.payload.count <= context.payloadLimit else {
            buffer.close(.tooLarge, "payload larger than \(context.payloadLimit) bytes", flush: false)
            return .closed
        }
        let claims = state.withLock { $0.claims }
        let config = context.config
        let timeout = min(message.timeout ?? config.requestTimeout, config.maxRequestTimeout)
        var envelope = Envelope(type: message.type, source: .ws, payload: message.payload)
        if let key = message.key, expect == .ack {
            envelope.id = FabricID.derived(principal: claims.principal, key: key)
            envelope.idempotencyKey = key
        }
        envelope.correlationID = correlation
        envelope.traceparent = message.traceparent ?? TraceParent.fresh()
        envelope.tracestate = message.tracestate
        envelope.claims = claims
        envelope.client = clientID
        envelope.priority = priority
        envelope.topic = message.topic
        envelope.expect = expect
        envelope.deadline = envelope.time &+ UInt64(max(1, timeout.milliseconds))
        envelope.contentType = message.contentType
        for (name, value) in message.headers where context.forwarded.contains(name) && !HeaderName.isReserved(name) {
            envelope.extra.add(name, value)
        }
        let headers = envelope.headers
        do {
            try Envelope.checkLimits(headers: headers, payloadBytes: message.payload.count, limits: .standard)
        } catch {
            return .refused(FrameError("too-large", "\(error)"), correlation)
        }
        do {
            let reply = try await context.connection.request(
                FabricNames.Subject.inbound(type: message.type), headers: headers, payload: message.payload, timeout: timeout)
            return .answered(reply, envelope)
        } catch {
            switch error.code {
            case .timeout:
                return .refused(
                    FrameError("timeout", "no answer within \(timeout.fabricDescription)", status: .timeout), correlation)
            case .noResponders:
                return .refused(FrameError("unavailable", "no router is running", status: .unavailable), correlation)
            case .payloadTooLarge:
                buffer.close(.tooLarge, "larger than the broker's max_payload", flush: false)
                return .closed
            default:
                return .refused(FrameError("unavailable", "cannot reach the fabric", status: .unavailable), correlation)
            }
        }
    }

    private func finishedOne() {
        state.withLock { $0.inFlight -= 1 }
    }
}
