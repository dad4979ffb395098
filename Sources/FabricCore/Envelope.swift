import W3CTraceContext

/// The canonical envelope: routing metadata in headers, the payload untouched in the body.
///
/// Every adapter turns its protocol's message into one of these, and every role reads
/// them through `init(headers:payload:limits:)`, so the header encoding lives here only.
public struct Envelope: Sendable, Hashable {
    /// The envelope format version this build writes and reads.
    public static let currentVersion = 1

    /// Unique id (`FabricID`), generated or derived from an idempotency key.
    public var id: String
    /// Message type; the router matches on it.
    public var type: String
    /// Protocol it entered through.
    public var source: Source
    /// Creation time, milliseconds since the epoch.
    public var time: UInt64
    /// Correlation id of the request it belongs to.
    public var correlationID: String?
    /// Client id of the sending session.
    public var client: String?
    /// Verified claims of the sender.
    public var claims: Claims?
    /// Client-facing topic (MQTT syntax).
    public var topic: String?
    /// Priority class.
    public var priority: Priority?
    /// Delivery guarantee, set by the router.
    public var delivery: Delivery?
    /// Outcome, on replies.
    public var status: Status?
    /// Attempt number of an at-least-once delivery.
    public var attempt: Int?
    /// Error text on failures.
    public var error: String?
    /// What the publisher waits for.
    public var expect: Expect?
    /// Reply subject of a stored request.
    public var replyTo: String?
    /// Absolute deadline, milliseconds since the epoch.
    public var deadline: UInt64?
    /// Partition chosen by the router.
    public var partition: Int?
    /// Retry policy stamped at store time.
    public var retry: RetryPolicy?
    /// Rule set version that routed it.
    public var routesVersion: String?
    /// Cache policy of the route.
    public var cache: CachePolicy?
    /// Idempotency key the id was derived from.
    public var idempotencyKey: String?
    /// Outbox sequence of a message delivered to a client.
    public var sequence: UInt64?
    /// Payload media type.
    public var contentType: String?
    /// W3C trace parent.
    public var traceparent: String?
    /// W3C trace state.
    public var tracestate: String?
    /// Every other header (forwarded client headers, newer fabric headers), in order.
    public var extra: Headers
    /// The payload bytes, never re-encoded.
    public var payload: [UInt8]

    /// Creates an envelope with a fresh id and the current time.
    public init(
        type: String, source: Source, payload: [UInt8] = [], id: String = FabricID.generate(),
        time: UInt64 = WallClock.nowMillis()
    ) {
        self.id = id
        self.type = type
        self.source = source
        self.time = time
        self.extra = Headers()
        self.payload = payload
    }

    /// The headers of this envelope, canonical names, fixed order.
    public var headers: Headers {
        var headers = Headers(capacity: 12 + extra.count)
        encode(into: &headers)
        return headers
    }

    /// Appends this envelope's headers to `headers`.
    public func encode(into headers: inout Headers) {
        headers.add(HeaderName.version, "1")
        headers.add(HeaderName.id, id)
        headers.add(HeaderName.type, type)
        headers.add(HeaderName.source, source.rawValue)
        headers.add(HeaderName.time, String(time))
        if let correlationID { headers.add(HeaderName.correlationId, correlationID) }
        if let client { headers.add(HeaderName.client, client) }
        if let claims {
            headers.add(HeaderName.principal, claims.principal)
            if !claims.roles.isEmpty { headers.add(HeaderName.roles, claims.roles.joined(separator: ",")) }
            if let tenant = claims.tenant { headers.add(HeaderName.tenant, tenant) }
            if let other = claims.otherJSON { headers.add(HeaderName.claims, other) }
        }
        if let topic { headers.add(HeaderName.topic, topic) }
        if let priority { headers.add(HeaderName.priority, priority.rawValue) }
        if let delivery { headers.add(HeaderName.delivery, delivery.rawValue) }
        if let status { headers.add(HeaderName.status, status.rawValue) }
        if let attempt { headers.add(HeaderName.attempt, String(attempt)) }
        if let error { headers.add(HeaderName.error, error) }
        if let expect { headers.add(HeaderName.expect, expect.rawValue) }
        if let replyTo { headers.add(HeaderName.replyTo, replyTo) }
        if let deadline { headers.add(HeaderName.deadline, String(deadline)) }
        if let partition { headers.add(HeaderName.partition, String(partition)) }
        if let retry { headers.add(HeaderName.retry, retry.headerValue) }
        if let routesVersion { headers.add(HeaderName.routesVersion, routesVersion) }
        if let cache { headers.add(HeaderName.cache, cache.headerValue) }
        if let idempotencyKey { headers.add(HeaderName.idempotencyKey, idempotencyKey) }
        if let sequence { headers.add(HeaderName.sequence, String(sequence)) }
        if let contentType { headers.add(HeaderName.contentType, contentType) }
        if let traceparent { headers.add(HeaderName.traceparent, traceparent) }
        if let tracestate { headers.add(HeaderName.tracestate, tracestate) }
        for field in extra { headers.add(field.name, field.value) }
    }

    /// Reads an envelope from NATS headers and body, checking every field and limit.
    public init(headers: Headers, payload: [UInt8], limits: EnvelopeLimits = .standard) throws(EnvelopeError) {
        try Envelope.checkLimits(headers: headers, payloadBytes: payload.count, limits: limits)
        var version: String?
        var id: String?
        var type: String?
        var source: Source?
        var time: UInt64?
        var principal: String?
        var roles: [String] = []
        var tenant: String?
        var otherClaims: String?
        var decoded = Envelope(type: "", source: .internal, payload: payload, id: "", time: 0)
        for field in headers {
            let value = field.value
            switch field.name {
            case HeaderName.version: version = value
            case HeaderName.id:
                guard FabricID.isValid(value) else {
                    throw EnvelopeError(.invalidHeader, header: field.name, reason: "'\(value)' is not a fabric id")
                }
                id = value
            case HeaderName.type:
                do { try MessageType.validate(value) } catch {
                    throw EnvelopeError(.invalidHeader, header: field.name, reason: error.reason)
                }
                type = value
            case HeaderName.source:
                guard let parsed = Source(rawValue: value) else {
                    throw Envelope.invalid(field, expected: Source.allCases.map(\.rawValue))
                }
                source = parsed
            case HeaderName.time: time = try Envelope.unsigned(field)
            case HeaderName.correlationId: decoded.correlationID = value
            case HeaderName.client: decoded.client = value
            case HeaderName.principal: principal = value
            case HeaderName.roles: roles = value.split(separator: ",").map(String.init)
            case HeaderName.tenant: tenant = value
            case HeaderName.claims: otherClaims = value
            case HeaderName.topic: decoded.topic = value
            case HeaderName.priority:
                guard let parsed = Priority(rawValue: value) else {
                    throw Envelope.invalid(field, expected: Priority.allCases.map(\.rawValue))
                }
                decoded.priority = parsed
            case HeaderName.delivery:
                guard let parsed = Delivery(rawValue: value) else {
                    throw Envelope.invalid(field, expected: Delivery.allCases.map(\.rawValue))
                }
                decoded.delivery = parsed
            case HeaderName.status:
                guard let parsed = Status(rawValue: value) else {
                    throw Envelope.invalid(field, expected: Status.allCases.map(\.rawValue))
                }
                decoded.status = parsed
            case HeaderName.attempt:
                guard let number = Int(value), number >= 1 else {
                    throw EnvelopeError(.invalidHeader, header: field.name, reason: "'\(value)' is not an attempt number")
                }
                decoded.attempt = number
            case HeaderName.error: decoded.error = value
            case HeaderName.expect:
                guard let parsed = Expect(rawValue: value) else {
                    throw Envelope.invalid(field, expected: Expect.allCases.map(\.rawValue))
                }
                decoded.expect = parsed
            case HeaderName.replyTo: decoded.replyTo = value
            case HeaderName.deadline: decoded.deadline = try Envelope.unsigned(field)
            case HeaderName.partition:
                guard let number = Int(value), number >= 0 else {
                    throw EnvelopeError(.invalidHeader, header: field.name, reason: "'\(value)' is not a partition number")
                }
                decoded.partition = number
            case HeaderName.retry:
                do { decoded.retry = try RetryPolicy(headerValue: value) } catch {
                    throw EnvelopeError(.invalidHeader, header: field.name, reason: error.reason)
                }
            case HeaderName.routesVersion: decoded.routesVersion = value
            case HeaderName.cache:
                do { decoded.cache = try CachePolicy(headerValue: value) } catch {
                    throw EnvelopeError(.invalidHeader, header: field.name, reason: error.reason)
                }
            case HeaderName.idempotencyKey: decoded.idempotencyKey = value
            case HeaderName.sequence: decoded.sequence = try Envelope.unsigned(field)
            case HeaderName.contentType: decoded.contentType = value
            case HeaderName.traceparent:
                guard (try? TraceContext(traceParentHeaderValue: value)) != nil else {
                    throw EnvelopeError(.invalidHeader, header: field.name, reason: "not a W3C traceparent")
                }
                decoded.traceparent = value
            case HeaderName.tracestate: decoded.tracestate = value
            default: decoded.extra.add(field.name, value)
            }
        }
        guard let version else {
            throw EnvelopeError(.missingHeader, header: HeaderName.version, reason: "every envelope has a version")
        }
        guard version == "1" else {
            throw EnvelopeError(.unsupportedVersion, header: HeaderName.version, reason: "'\(version)' (this build reads 1)")
        }
        guard let id else { throw EnvelopeError(.missingHeader, header: HeaderName.id, reason: "every envelope has an id") }
        guard let type else { throw EnvelopeError(.missingHeader, header: HeaderName.type, reason: "every envelope has a type") }
        guard let source else {
            throw EnvelopeError(.missingHeader, header: HeaderName.source, reason: "every envelope has a source")
        }
        guard let time else { throw EnvelopeError(.missingHeader, header: HeaderName.time, reason: "every envelope has a time") }
        if let principal {
            decoded.claims = Claims(principal: principal, roles: roles, tenant: tenant, otherJSON: otherClaims)
        } else if !roles.isEmpty || tenant != nil || otherClaims != nil {
            throw EnvelopeError(.missingHeader, header: HeaderName.principal, reason: "claims without a principal")
        }
        decoded.id = id
        decoded.type = type
        decoded.source = source
        decoded.time = time
        self = decoded
    }

    /// Checks header count, sizes and payload size against `limits`.
    public static func checkLimits(headers: Headers, payloadBytes: Int, limits: EnvelopeLimits) throws(EnvelopeError) {
        guard headers.count <= limits.maxHeaderCount else {
            throw EnvelopeError(.tooManyHeaders, reason: "\(headers.count) fields, the limit is \(limits.maxHeaderCount)")
        }
        var total = 0
        for field in headers {
            let size = field.value.utf8.count
            guard size <= limits.maxHeaderValueBytes else {
                throw EnvelopeError(
                    .headerTooLarge, header: field.name, reason: "\(size) bytes, the limit is \(limits.maxHeaderValueBytes)")
            }
            total += size + field.name.utf8.count
        }
        guard total <= limits.maxHeaderBytes else {
            throw EnvelopeError(.headersTooLarge, reason: "\(total) bytes, the limit is \(limits.maxHeaderBytes)")
        }
        guard payloadBytes <= limits.maxPayloadBytes else {
            throw EnvelopeError(.payloadTooLarge, reason: "\(payloadBytes) bytes, the limit is \(limits.maxPayloadBytes)")
        }
    }

    private static func unsigned(_ field: Headers.Field) throws(EnvelopeError) -> UInt64 {
        guard let number = UInt64(field.value) else {
            throw EnvelopeError(.invalidHeader, header: field.name, reason: "'\(field.value)' is not a non-negative integer")
        }
        return number
    }

    private static func invalid(_ field: Headers.Field, expected: [String]) -> EnvelopeError {
        EnvelopeError(
            .invalidHeader, header: field.name, reason: "'\(field.value)' is not one of \(expected.joined(separator: ", "))")
    }
}
