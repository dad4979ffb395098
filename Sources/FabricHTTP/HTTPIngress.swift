import FabricAuth
import FabricCore
import FabricNATS
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Turns HTTP requests into envelopes on `fabric.in.<type>` and the fabric's answers into
/// HTTP answers: shedding, limits, authentication, envelope, publish, status mapping.
///
/// The order is deliberate: a shed request costs no signature check, and nothing is
/// published before the token, the headers and the body have all been checked.
final class HTTPIngress: Sendable {
    /// The three ways into the fabric.
    enum Kind: String, Sendable {
        /// `POST /v1/publish/{type}`: waits for the router's ack.
        case publish
        /// `POST /v1/request/{type}`: waits for the backend's reply.
        case request
        /// `GET /v1/query/{type}?…`: an idempotent request, cacheable.
        case query
    }

    let config: HTTPConfig
    let connection: NATSConnection
    let jetStream: JetStream
    let verifier: VerifiedTokens
    let priorities: PriorityTableState
    let shedder: LoadShedder
    let cache: EdgeCache?
    let events: EventStreamRegistry
    let metrics: HTTPMetrics
    let clock: @Sendable () -> UInt64
    let instance: String
    let logger: Logger
    /// Largest body taken: the configured limit, never more than the server's `max_payload`.
    let bodyLimit: Int
    private let forwarded: [(name: String, field: HTTPField.Name)]
    /// One batch per event loop for the requests a turn reads.
    let batches: PublishBatches

    init(
        config: HTTPConfig, connection: NATSConnection, jetStream: JetStream, verifier: TokenVerifier,
        priorities: PriorityTableState, cache: EdgeCache?, metrics: HTTPMetrics, clock: @escaping @Sendable () -> UInt64,
        instance: String, logger: Logger
    ) {
        self.config = config
        self.connection = connection
        self.jetStream = jetStream
        self.verifier = VerifiedTokens(
            verifier: verifier, entries: config.tokenCache.entries, ttl: config.tokenCache.ttl, clock: clock)
        self.priorities = priorities
        self.shedder = LoadShedder(policy: config.shedding.policy, metrics: metrics)
        self.cache = cache
        self.events = EventStreamRegistry(limit: config.events.maxStreams, metrics: metrics)
        self.metrics = metrics
        self.clock = clock
        self.instance = instance
        self.logger = logger
        let serverLimit = connection.maxPayload
        self.bodyLimit = serverLimit > 0 ? min(config.limits.maxBodySize, serverLimit) : config.limits.maxBodySize
        self.forwarded = config.forwardHeaders.compactMap { name in HTTPField.Name(name).map { (name, $0) } }
        self.batches = PublishBatches(connection: connection)
    }

    /// Handles one publish, request or query and records its metrics.
    func handle(_ kind: Kind, type: Substring, _ request: Request, _ context: HTTPRequestContext) async -> Response {
        let started = ContinuousClock.now
        let trace = RequestTrace(headers: request.headers)
        let response = await process(kind, String(type), request, context, trace)
        metrics.request(
            route: kind.rawValue, status: response.status.code, protocolVersion: context.protocolVersion,
            duration: ContinuousClock.now - started)
        return response
    }

    private func process(
        _ kind: Kind, _ type: String, _ request: Request, _ context: HTTPRequestContext, _ trace: RequestTrace
    ) async
        -> Response
    {
        guard (try? MessageType.validate(type)) != nil else {
            return HTTPAnswer.failure(.rejected, "not a message type (letters, digits, '-', '_', dot-separated)", trace: trace)
        }
        let priority = priorities.priority(for: type)
        switch shedder.admit(priority) {
        case .admitted:
            break
        case .shed:
            return HTTPAnswer.failure(
                .unavailable, "overloaded: \(priority.rawValue) requests are refused for now", trace: trace,
                retryAfter: config.shedding.retryAfter)
        case .draining:
            // HTTP/2 forbids connection headers; its connection gets a GOAWAY once the drain ends.
            return HTTPAnswer.failure(
                .unavailable, "shutting down", trace: trace, headers: context.isHTTP2 ? [:] : [.connection: "close"])
        }
        defer { shedder.release() }
        if let problem = headerProblem(request.headers) {
            return HTTPAnswer.failure(.rejected, problem, trace: trace, http: HTTPStatusMapping.headersTooLarge)
        }
        let claims: Claims
        do {
            claims = try await verifier.verify(authorization: request.headers.value(.authorization))
        } catch {
            metrics.authFailure(error.code)
            return HTTPAnswer.unauthorized(error, trace: trace)
        }
        guard let timeout = HTTPIngress.timeout(request.headers.value(HTTPHeader.requestTimeout), config: config) else {
            return HTTPAnswer.failure(.rejected, "Request-Timeout is seconds (2.5) or a duration (250ms)", trace: trace)
        }
        let payload: [UInt8]
        switch await readPayload(kind, request) {
        case .success(let bytes): payload = bytes
        case .failure(let refusal): return refusal.response(trace)
        }
        var envelope = Envelope(type: type, source: context.isHTTP2 ? .h2 : .http, payload: payload)
        if let key = request.headers.value(HTTPHeader.idempotencyKey) {
            guard !key.isEmpty, key.utf8.count <= 255, RequestTrace.isVisible(key, spaces: false) else {
                return HTTPAnswer.failure(.rejected, "Idempotency-Key is 1 to 255 visible ASCII characters", trace: trace)
            }
            envelope.id = FabricID.derived(principal: claims.principal, key: key)
            envelope.idempotencyKey = key
        }
        trace.stamp(&envelope)
        envelope.claims = claims
        envelope.priority = priority
        envelope.expect = kind == .publish ? .ack : .reply
        // From the envelope's own time, so Fabric-Deadline − Fabric-Time is exactly the timeout.
        envelope.deadline = envelope.time &+ UInt64(max(1, timeout.milliseconds))
        envelope.contentType = kind == .query ? "application/json" : request.headers.value(.contentType)
        if let session = request.headers.value(HTTPHeader.session), HTTPIngress.isValidSession(session) {
            envelope.client = FabricNames.clientID(principal: claims.principal, session: session)
        }
        var forwardedHeaders: [ForwardedHeader] = []
        for (name, field) in forwarded {
            let values = request.headers[values: field]
            guard !values.isEmpty else { continue }
            forwardedHeaders.append(ForwardedHeader(name: name, value: values.joined(separator: ", ")))
            envelope.extra.add(name, forwardedHeaders[forwardedHeaders.count - 1].value)
        }
        let headers = envelope.headers
        do {
            try Envelope.checkLimits(headers: headers, payloadBytes: payload.count, limits: .standard)
        } catch {
            return HTTPAnswer.failure(.rejected, "\(error)", trace: trace, http: HTTPStatusMapping.headersTooLarge)
        }
        let subject = FabricNames.Subject.inbound(type: type)
        switch kind {
        case .publish:
            return await publish(subject, headers, payload, envelope: envelope, timeout: timeout, trace: trace)
        case .request:
            return answer(await send(subject, headers, payload, timeout: timeout), timeout: timeout, trace: trace)
        case .query:
            return await query(
                subject, headers, payload, type: type, forwarded: forwardedHeaders, claims: claims, request: request,
                timeout: timeout, trace: trace)
        }
    }

    /// Refuses new requests, ends every event stream, and returns once nothing is in flight.
    func drain() async {
        events.closeAll()
        await shedder.drain()
        await events.waitUntilEmpty()
    }

    // MARK: Publish and request

    private func publish(
        _ subject: String, _ headers: Headers, _ payload: [UInt8], envelope: Envelope, timeout: Duration, trace: RequestTrace
    ) async -> Response {
        switch await send(subject, headers, payload, timeout: timeout) {
        case .success(let reply):
            let status = reply.headers[HeaderName.status].flatMap(Status.init(rawValue:)) ?? .ok
            guard status == .ok else {
                return HTTPAnswer.failure(
                    status, reply.headers[HeaderName.error] ?? "the router answered \(status)", trace: trace)
            }
            return HTTPAnswer.json(
                ["status": .string("ok"), "id": .string(envelope.id), "correlation_id": .string(trace.correlationID)],
                status: HTTPStatusMapping.publishAccepted, trace: trace)
        case .failure(let error):
            return failure(error, timeout: timeout, trace: trace)
        }
    }

    /// Publishes as a NATS request and waits for the answer (the router's ack or the backend's reply).
    func send(
        _ subject: String, _ headers: Headers, _ payload: [UInt8], timeout: Duration
    ) async -> Result<
        NATSMessage, NATSError
    > {
        do {
            return .success(
                try await connection.request(
                    subject, headers: headers, payload: payload, timeout: timeout, batch: batches.current))
        } catch {
            return .failure(error)
        }
    }

    /// The HTTP answer of a backend reply (or of the failure to get one).
    func answer(
        _ outcome: Result<NATSMessage, NATSError>, timeout: Duration, trace: RequestTrace, headers: HTTPFields = [:]
    )
        -> Response
    {
        let reply: NATSMessage
        switch outcome {
        case .success(let message): reply = message
        case .failure(let error): return failure(error, timeout: timeout, trace: trace, headers: headers)
        }
        let status = reply.headers[HeaderName.status].flatMap(Status.init(rawValue:)) ?? .ok
        let contentType = reply.headers[HeaderName.contentType]
        if status == .ok {
            return HTTPAnswer.bytes(reply.payload, contentType: contentType, status: .ok, trace: trace, headers: headers)
        }
        let message = reply.headers[HeaderName.error] ?? "the backend answered \(status)"
        guard !reply.payload.isEmpty else { return HTTPAnswer.failure(status, message, trace: trace, headers: headers) }
        var fields = headers
        if HTTPStatusMapping.row(for: status).retryAfter { fields[.retryAfter] = "1" }
        return HTTPAnswer.bytes(
            reply.payload, contentType: contentType, status: HTTPStatusMapping.http(for: status), trace: trace, headers: fields)
    }

    private func failure(_ error: NATSError, timeout: Duration, trace: RequestTrace, headers: HTTPFields = [:]) -> Response {
        switch error.code {
        case .timeout:
            return HTTPAnswer.failure(
                .timeout, "no answer within \(timeout.fabricDescription)", trace: trace, headers: headers)
        case .noResponders:
            return HTTPAnswer.failure(.unavailable, "no router is running", trace: trace, headers: headers)
        case .payloadTooLarge:
            return HTTPAnswer.failure(
                .rejected, "larger than the broker's max_payload", trace: trace, http: HTTPStatusMapping.tooLarge,
                headers: headers)
        default:
            logger.warning(
                "cannot reach the fabric", metadata: ["error": "\(error)", "correlation_id": "\(trace.correlationID)"])
            return HTTPAnswer.failure(.unavailable, "cannot reach the fabric", trace: trace, headers: headers)
        }
    }

    // MARK: Input

    /// A refusal of the request's input.
    struct Refusal: Error {
        let status: Status
        let message: String
        let http: HTTPResponse.Status?

        func response(_ trace: RequestTrace) -> Response {
            HTTPAnswer.failure(status, message, trace: trace, http: http)
        }
    }

    private func readPayload(_ kind: Kind, _ request: Request) async -> Result<[UInt8], Refusal> {
        let tooLarge = Refusal(
            status: .rejected, message: "the body is larger than \(bodyLimit) bytes", http: HTTPStatusMapping.tooLarge)
        if kind == .query {
            let payload = HTTPIngress.queryPayload(request.uri)
            return payload.count <= bodyLimit ? .success(payload) : .failure(tooLarge)
        }
        // Refuse a declared size at once, before reading a byte of it.
        if let declared = request.headers.value(.contentLength).flatMap(Int.init), declared > bodyLimit {
            return .failure(tooLarge)
        }
        do {
            let buffer = try await request.body.collect(upTo: bodyLimit)
            return .success(Array(buffer.readableBytesView))
        } catch is NIOTooManyBytesError {
            return .failure(tooLarge)
        } catch {
            return .failure(Refusal(status: .rejected, message: "cannot read the body", http: nil))
        }
    }

    private func headerProblem(_ fields: HTTPFields) -> String? {
        let limits = config.limits
        guard fields.count <= limits.maxHeaderCount else {
            return "\(fields.count) header fields, the limit is \(limits.maxHeaderCount)"
        }
        var total = 0
        for field in fields {
            let size = field.name.rawName.utf8.count + field.value.utf8.count
            if size > limits.maxHeaderSize { return "header \(field.name) is larger than \(limits.maxHeaderSize) bytes" }
            total += size
        }
        return total > limits.maxHeaderListSize ? "headers are larger than \(limits.maxHeaderListSize) bytes" : nil
    }

    /// The deadline a client asks for: seconds (`2.5`) or a duration (`250ms`), clamped to
    /// `max_request_timeout`; the default when absent; nil when unreadable.
    static func timeout(_ value: String?, config: HTTPConfig) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces) else { return config.requestTimeout }
        let asked: Duration
        if let seconds = Double(value), seconds.isFinite, seconds > 0 {
            asked = .milliseconds(Int64(min(seconds, 1e9) * 1000))
        } else if let parsed = try? Duration.parse(value), parsed > .zero {
            asked = parsed
        } else {
            return nil
        }
        return min(max(asked, .milliseconds(1)), config.maxRequestTimeout)
    }

    /// Query parameters the adapter itself reads and never forwards: `access_token` is a
    /// raw token (taken by `/v1/events` only, where EventSource cannot send headers), and a
    /// raw token never enters the fabric.
    static let reservedQueryParameters: Set<String> = ["access_token"]

    /// The query parameters as a JSON object with sorted keys (a repeated key becomes an
    /// array), so the same query always has the same payload and cache key. Reserved
    /// parameters (`access_token`) are left out.
    static func queryPayload(_ uri: URI) -> [UInt8] {
        var parameters: [String: [String]] = [:]
        for (key, value) in uri.queryParameters {
            let name = String(key).removingPercentEncoding ?? String(key)
            if reservedQueryParameters.contains(name) { continue }
            parameters[name, default: []].append(String(value))
        }
        let object = parameters.mapValues { values -> JSONValue in
            values.count == 1 ? .string(values[0]) : .array(values.map(JSONValue.string))
        }
        return Array(JSONCodec.encodeSorted(JSONValue.object(object)).utf8)
    }

    /// A session id: 1–128 visible ASCII characters.
    static func isValidSession(_ session: String) -> Bool {
        !session.isEmpty && session.utf8.count <= 128 && RequestTrace.isVisible(session, spaces: false)
    }
}
