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
        // Decoded in place: building a separate value and assigning it at the end would copy
        // (retain and release) every field once more.
        self.init(type: "", source: .internal, payload: payload, id: "", time: 0)
        for field in headers {
            let value = field.value
            guard let kind = HeaderKind.of(field.name) else {
                self.extra.add(field.name, value)
                continue
            }
            switch kind {
            case .version: version = value
            case .id:
                guard FabricID.isValid(value) else {
                    throw EnvelopeError(.invalidHeader, header: field.name, reason: "'\(value)' is not a fabric id")
                }
                id = value
            case .type:
                do { try MessageType.validate(value) } catch {
                    throw EnvelopeError(.invalidHeader, header: field.name, reason: error.reason)
                }
                type = value
            case .source:
                guard let parsed = Source(rawValue: value) else {
                    throw Envelope.invalid(field, expected: Source.allCases.map(\.rawValue))
                }
                source = parsed
            case .time: time = try Envelope.unsigned(field)
            case .correlationId: self.correlationID = value
            case .client: self.client = value
            case .principal: principal = value
            case .roles: roles = value.split(separator: ",").map(String.init)
            case .tenant: tenant = value
            case .claims: otherClaims = value
            case .topic: self.topic = value
            case .priority:
                guard let parsed = Priority(rawValue: value) else {
                    throw Envelope.invalid(field, expected: Priority.allCases.map(\.rawValue))
                }
                self.priority = parsed
            case .delivery:
                guard let parsed = Delivery(rawValue: value) else {
                    throw Envelope.invalid(field, expected: Delivery.allCases.map(\.rawValue))
                }
                self.delivery = parsed
            case .status:
                guard let parsed = Status(rawValue: value) else {
                    throw Envelope.invalid(field, expected: Status.allCases.map(\.rawValue))
                }
                self.status = parsed
            case .attempt:
                guard let number = Int(value), number >= 1 else {
                    throw EnvelopeError(.invalidHeader, header: field.name, reason: "'\(value)' is not an attempt number")
                }
                self.attempt = number
            case .error: self.error = value
            case .expect:
                guard let parsed = Expect(rawValue: value) else {
                    throw Envelope.invalid(field, expected: Expect.allCases.map(\.rawValue))
                }
                self.expect = parsed
            case .replyTo: self.replyTo = value
            case .deadline: self.deadline = try Envelope.unsigned(field)
            case .partition:
                guard let number = Int(value), number >= 0 else {
                    throw EnvelopeError(.invalidHeader, header: field.name, reason: "'\(value)' is not a partition number")
                }
                self.partition = number
            case .retry:
                do { self.retry = try RetryPolicy(headerValue: value) } catch {
                    throw EnvelopeError(.invalidHeader, header: field.name, reason: error.reason)
                }
            case .routesVersion: self.routesVersion = value
            case .cache:
                do { self.cache = try CachePolicy(headerValue: value) } catch {
                    throw EnvelopeError(.invalidHeader, header: field.name, reason: error.reason)
                }
            case .idempotencyKey: self.idempotencyKey = value
            case .sequence: self.sequence = try Envelope.unsigned(field)
            case .contentType: self.contentType = value
            case .traceparent:
                guard TraceParent.isValid(value) else {
                    throw EnvelopeError(.invalidHeader, header: field.name, reason: "not a W3C traceparent")
                }
                self.traceparent = value
            case .tracestate: self.tracestate = value
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
            self.claims = Claims(principal: principal, roles: roles, tenant: tenant, otherJSON: otherClaims)
        } else if !roles.isEmpty || tenant != nil || otherClaims != nil {
            throw EnvelopeError(.missingHeader, header: HeaderName.principal, reason: "claims without a principal")
        }
        self.id = id
        self.type = type
        self.source = source
        self.time = time
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

/// The bytes every fabric header name but three starts with.
private let fabricPrefix: [UInt8] = Array("Fabric-".utf8)

/// The envelope's own headers, found by one hash lookup instead of a chain of string
/// comparisons (decoding is on every role's hot path).
enum HeaderKind: Sendable {
    case version, id, type, source, time, correlationId, client, principal, roles, tenant, claims, topic, priority
    case delivery, status, attempt, error, expect, replyTo, deadline, partition, retry, routesVersion, cache
    case idempotencyKey, sequence, contentType, traceparent, tracestate

    /// The kind of header `name`, nil for any other header.
    ///
    /// Narrowed by length and one byte, then confirmed by comparison: cheaper than
    /// hashing the name (Swift's seeded SipHash) for a dozen fields per message.
    static func of(_ name: String) -> HeaderKind? {
        let utf8 = name.utf8
        let count = utf8.count
        guard count >= 9, count <= 22 else { return nil }
        if count == 11, name == HeaderName.traceparent { return .traceparent }
        if count == 10 { return name == HeaderName.tracestate ? .tracestate : nil }
        if count == 12, name == HeaderName.contentType { return .contentType }
        // Every other fabric header is "Fabric-" + a name: the byte after the dash decides.
        let key: UInt8? =
            utf8.withContiguousStorageIfAvailable { bytes in bytes.starts(with: fabricPrefix) ? bytes[7] : nil }
            ?? (utf8.starts(with: fabricPrefix) ? utf8[utf8.index(utf8.startIndex, offsetBy: 7)] : nil)
        guard let key else { return nil }
        let candidates: [(String, HeaderKind)]
        switch key {
        case UInt8(ascii: "A"): candidates = [(HeaderName.attempt, .attempt)]
        case UInt8(ascii: "C"):
            candidates = [
                (HeaderName.correlationId, .correlationId), (HeaderName.client, .client), (HeaderName.claims, .claims),
                (HeaderName.cache, .cache),
            ]
        case UInt8(ascii: "D"): candidates = [(HeaderName.delivery, .delivery), (HeaderName.deadline, .deadline)]
        case UInt8(ascii: "E"): candidates = [(HeaderName.error, .error), (HeaderName.expect, .expect)]
        case UInt8(ascii: "I"): candidates = [(HeaderName.id, .id), (HeaderName.idempotencyKey, .idempotencyKey)]
        case UInt8(ascii: "P"):
            candidates = [
                (HeaderName.principal, .principal), (HeaderName.priority, .priority), (HeaderName.partition, .partition),
            ]
        case UInt8(ascii: "R"):
            candidates = [
                (HeaderName.roles, .roles), (HeaderName.replyTo, .replyTo), (HeaderName.retry, .retry),
                (HeaderName.routesVersion, .routesVersion),
            ]
        case UInt8(ascii: "S"):
            candidates = [(HeaderName.source, .source), (HeaderName.status, .status), (HeaderName.sequence, .sequence)]
        case UInt8(ascii: "T"):
            candidates = [
                (HeaderName.type, .type), (HeaderName.time, .time), (HeaderName.tenant, .tenant), (HeaderName.topic, .topic),
            ]
        case UInt8(ascii: "V"): candidates = [(HeaderName.version, .version)]
        default: return nil
        }
        for (candidate, kind) in candidates where candidate.utf8.count == count && candidate == name { return kind }
        return nil
    }
}
