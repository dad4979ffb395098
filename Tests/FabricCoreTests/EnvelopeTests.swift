import FabricCore
import PropertyBased
import Testing
import W3CTraceContext

@Suite("Envelope")
struct EnvelopeTests {
    static func full() -> Envelope {
        var envelope = Envelope(type: "order.created", source: .h2, payload: Array("{\"total\":42}".utf8))
        envelope.correlationID = "corr-1"
        envelope.client = FabricNames.clientID(principal: "a.b@x.com", session: "s1")
        envelope.claims = Claims(
            principal: "a.b@x.com", roles: ["admin", "ops"], tenant: "acme", other: ["plan": .string("pro")])
        envelope.topic = "orders/eu/+"
        envelope.priority = .high
        envelope.delivery = .atLeastOnce
        envelope.status = .retry
        envelope.attempt = 3
        envelope.error = "backend said no"
        envelope.expect = .reply
        envelope.replyTo = "_INBOX.abc.1"
        envelope.deadline = 1_900_000_000_000
        envelope.partition = 7
        envelope.retry = RetryPolicy(attempts: 4, initial: .milliseconds(50), max: .seconds(2), multiplier: 3, jitter: 0.1)
        envelope.routesVersion = "v12"
        envelope.cache = CachePolicy(ttl: .seconds(5), vary: ["principal", "tenant"])
        envelope.idempotencyKey = "key-1"
        envelope.sequence = 99
        envelope.contentType = "application/json"
        envelope.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        envelope.tracestate = "vendor=x"
        envelope.extra.add("x-region", "eu")
        return envelope
    }

    @Test func fullEnvelopeRoundTripsThroughHeaders() throws {
        let envelope = Self.full()
        let decoded = try Envelope(headers: envelope.headers, payload: envelope.payload)
        #expect(decoded == envelope)
        #expect(decoded.claims?.value(of: "plan") == .string("pro"))
    }

    @Test func minimalEnvelopeRoundTrips() throws {
        let envelope = Envelope(type: "ping", source: .internal)
        let decoded = try Envelope(headers: envelope.headers, payload: [])
        #expect(decoded == envelope)
        #expect(decoded.claims == nil)
    }

    @Test func payloadBytesAreUntouched() throws {
        let binary: [UInt8] = (0...255).map(UInt8.init) + [0, 0, 0xFF]
        let envelope = Envelope(type: "blob.put", source: .mqtt, payload: binary)
        #expect(try Envelope(headers: envelope.headers, payload: binary).payload == binary)
    }

    @Test func randomEnvelopesRoundTrip() async {
        let tokens = Gen.letterOrNumber.string(of: 1...12)
        await propertyCheck(
            count: 300, input: tokens.array(of: 1...4), Gen.letterOrNumber.string(of: 0...40), Gen.int(in: 0...10_000)
        ) {
            parts, principal, attempt in
            var envelope = Envelope(type: parts.joined(separator: "."), source: .ws, payload: Array(principal.utf8))
            if !principal.isEmpty { envelope.claims = Claims(principal: principal, roles: parts) }
            envelope.attempt = attempt + 1
            envelope.partition = attempt
            let decoded = try? Envelope(headers: envelope.headers, payload: envelope.payload)
            #expect(decoded == envelope)
        }
    }

    @Test func generatedIDsAreValid() {
        let envelope = Envelope(type: "a", source: .http)
        #expect(FabricID.isValid(envelope.id))
    }

    static let missing: [(String, String)] = [
        (HeaderName.version, "every envelope has a version"), (HeaderName.id, "every envelope has an id"),
        (HeaderName.type, "every envelope has a type"), (HeaderName.source, "every envelope has a source"),
        (HeaderName.time, "every envelope has a time"),
    ]

    @Test(arguments: missing)
    func missingRequiredHeaderIsReported(header: String, reason: String) {
        var headers = Envelope(type: "a.b", source: .http).headers
        headers.remove(header)
        #expect(throws: EnvelopeError(.missingHeader, header: header, reason: reason)) {
            try Envelope(headers: headers, payload: [])
        }
    }

    static let invalid: [(String, String)] = [
        (HeaderName.id, "not-an-id"), (HeaderName.type, "bad type"), (HeaderName.type, "a..b"), (HeaderName.type, "a.*"),
        (HeaderName.source, "carrier-pigeon"), (HeaderName.time, "yesterday"), (HeaderName.priority, "urgent"),
        (HeaderName.delivery, "exactly-once"), (HeaderName.status, "meh"), (HeaderName.attempt, "0"),
        (HeaderName.expect, "miracle"), (HeaderName.deadline, "-5"), (HeaderName.partition, "-1"),
        (HeaderName.retry, "attempts=0"), (HeaderName.cache, "ttl=0s"), (HeaderName.cache, "ttl=5s;vary=shoe-size"),
        (HeaderName.sequence, "x"), (HeaderName.traceparent, "00-zz-00-01"),
    ]

    @Test(arguments: invalid)
    func invalidHeaderIsReportedWithItsName(header: String, value: String) {
        var headers = Envelope(type: "a.b", source: .http).headers
        headers.set(header, value)
        do {
            _ = try Envelope(headers: headers, payload: [])
            Issue.record("\(header): \(value) was accepted")
        } catch {
            #expect(error.code == .invalidHeader)
            #expect(error.header == header)
        }
    }

    @Test func unsupportedVersionIsReported() {
        var headers = Envelope(type: "a", source: .http).headers
        headers.set(HeaderName.version, "2")
        #expect(throws: EnvelopeError(.unsupportedVersion, header: HeaderName.version, reason: "'2' (this build reads 1)")) {
            try Envelope(headers: headers, payload: [])
        }
    }

    @Test func claimsWithoutPrincipalAreRefused() {
        var headers = Envelope(type: "a", source: .http).headers
        headers.set(HeaderName.roles, "admin")
        #expect(throws: EnvelopeError.self) { try Envelope(headers: headers, payload: []) }
    }

    @Test func limitsAreEnforced() {
        let limits = EnvelopeLimits(maxHeaderCount: 8, maxHeaderValueBytes: 30, maxHeaderBytes: 200, maxPayloadBytes: 4)
        var many = Envelope(type: "a", source: .http)
        for index in 0..<5 { many.extra.add("x-\(index)", "v") }
        #expect(throws: EnvelopeError.self) { try Envelope(headers: many.headers, payload: [], limits: limits) }
        do {
            _ = try Envelope(headers: many.headers, payload: [], limits: limits)
        } catch { #expect(error.code == .tooManyHeaders) }

        var long = Envelope(type: "a", source: .http)
        long.error = String(repeating: "e", count: 31)
        do {
            _ = try Envelope(headers: long.headers, payload: [], limits: limits)
            Issue.record("a 31-byte value passed a 30-byte limit")
        } catch {
            #expect(error.code == .headerTooLarge)
            #expect(error.header == HeaderName.error)
        }

        let small = Envelope(type: "a", source: .http)
        do {
            _ = try Envelope(headers: small.headers, payload: [1, 2, 3, 4, 5], limits: limits)
            Issue.record("a 5-byte payload passed a 4-byte limit")
        } catch { #expect(error.code == .payloadTooLarge) }

        let total = EnvelopeLimits(maxHeaderCount: 64, maxHeaderValueBytes: 4096, maxHeaderBytes: 60, maxPayloadBytes: 10)
        do {
            _ = try Envelope(headers: small.headers, payload: [], limits: total)
            Issue.record("headers over 60 bytes passed")
        } catch { #expect(error.code == .headersTooLarge) }
    }

    @Test func errorDescriptionsNameTheHeader() {
        let error = EnvelopeError(.invalidHeader, header: "Fabric-Type", reason: "'a b' may only contain letters")
        #expect(error.description == "invalid header Fabric-Type: 'a b' may only contain letters")
    }
}

@Suite("Traceparent")
struct TraceParentTests {
    static let cases: [(String, Bool)] = [
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true),
        ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false),
        ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false),
        ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", false),
        ("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", false), ("", false),
    ]

    @Test(arguments: cases)
    func fastCheckAgreesWithTheW3CPackage(value: String, valid: Bool) {
        #expect(TraceParent.isValid(value) == valid)
        #expect((TraceParent.validated(value) != nil) == valid)
        #expect(((try? TraceContext(traceParentHeaderValue: value)) != nil) == valid)
    }

    @Test func freshAndChildTraceparentsAreValidAndKeepTheTrace() throws {
        let parent = TraceParent.fresh()
        #expect(TraceParent.isValid(parent))
        let parsed = try TraceContext(traceParentHeaderValue: parent)
        #expect(parsed.flags == .sampled)
        #expect(parsed.traceParentHeaderValue == parent)
        let child = TraceParent.child(of: parent)
        #expect(TraceParent.isValid(child))
        let parsedChild = try TraceContext(traceParentHeaderValue: child)
        #expect(parsedChild.traceID == parsed.traceID)
        #expect(parsedChild.spanID != parsed.spanID)
        #expect(TraceParent.traceID(of: child) == TraceParent.traceID(of: parent))
        #expect(TraceParent.traceID(of: child) == "\(parsed.traceID)")
        // Flags travel to the child as the parent set them.
        let unsampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
        #expect(try TraceContext(traceParentHeaderValue: TraceParent.child(of: unsampled)).flags == [])
        #expect(TraceParent.child(of: "garbage") != TraceParent.child(of: "garbage"))
        #expect(TraceParent.isValid(TraceParent.child(of: "garbage")))
    }
}
