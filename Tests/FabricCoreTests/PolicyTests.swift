import FabricCore
import Testing

@Suite("Policies and headers")
struct PolicyTests {
    @Test func retryPolicyRoundTripsThroughItsHeader() throws {
        let policy = RetryPolicy(attempts: 7, initial: .milliseconds(20), max: .seconds(3), multiplier: 1.5, jitter: 0.25)
        #expect(try RetryPolicy(headerValue: policy.headerValue) == policy)
    }

    @Test func backoffGrowsAndIsCapped() {
        let policy = RetryPolicy(attempts: 10, initial: .milliseconds(100), max: .seconds(1), multiplier: 2, jitter: 0)
        #expect(policy.baseDelay(afterAttempt: 1) == .milliseconds(100))
        #expect(policy.baseDelay(afterAttempt: 2) == .milliseconds(200))
        #expect(policy.baseDelay(afterAttempt: 4) == .milliseconds(800))
        #expect(policy.baseDelay(afterAttempt: 5) == .seconds(1))
        #expect(policy.baseDelay(afterAttempt: 9) == .seconds(1))
    }

    @Test func jitteredDelaysStayInTheirBand() {
        let policy = RetryPolicy(attempts: 10, initial: .milliseconds(100), max: .seconds(10), multiplier: 2, jitter: 0.2)
        var generator = SystemRandomNumberGenerator()
        for attempt in 1...6 {
            let band = policy.delayBounds(afterAttempt: attempt)
            for _ in 0..<200 {
                let delay = policy.delay(afterAttempt: attempt, using: &generator)
                #expect(band.contains(delay), "attempt \(attempt): \(delay) outside \(band)")
            }
        }
    }

    @Test func invalidRetryHeadersAreRefused() {
        for value in ["attempts=0", "attempts=x", "initial=0ms", "initial=5s;max=1s", "jitter=2", "multiplier=0.5", "garbage"] {
            #expect(throws: ValidationError.self, "\(value)") { try RetryPolicy(headerValue: value) }
        }
    }

    @Test func cachePolicyRoundTripsAndValidates() throws {
        let policy = CachePolicy(ttl: .seconds(5), vary: [])
        #expect(try CachePolicy(headerValue: policy.headerValue) == policy)
        #expect(try CachePolicy(headerValue: "ttl=2s").vary == ["principal"])
        #expect(throws: ValidationError.self) { try CachePolicy(headerValue: "vary=principal") }
    }

    @Test func headersLookUpIgnoringCaseAndSetReplaces() {
        var headers = Headers([("Content-Type", "a"), ("x-one", "1"), ("X-One", "2")])
        #expect(headers["content-type"] == "a")
        #expect(headers.values("x-one") == ["1", "2"])
        headers.set("X-ONE", "3")
        #expect(headers.values("x-one") == ["3"])
        headers["content-type"] = nil
        #expect(headers.count == 1)
    }

    @Test func reservedHeaderNamesAreRecognised() {
        #expect(HeaderName.isReserved("Fabric-Principal"))
        #expect(HeaderName.isReserved("fabric-anything"))
        #expect(HeaderName.isReserved("NATS-Msg-Id"))
        #expect(!HeaderName.isReserved("x-fabric"))
        #expect(!HeaderName.isReserved("Fab"))
    }

    @Test func jsonPointersResolve() throws {
        let value = JSONCodec.parse(#"{"reading":{"celsius":51.5},"tags":["a","b"],"a/b":{"~":1}}"#)!
        #expect(value.value(at: try JSONPointer("/reading/celsius")) == .number(51.5))
        #expect(value.value(at: try JSONPointer("/tags/1")) == .string("b"))
        #expect(value.value(at: try JSONPointer("/a~1b/~0")) == .number(1))
        #expect(value.value(at: try JSONPointer("/tags/01")) == nil)
        #expect(value.value(at: try JSONPointer("/missing")) == nil)
        #expect(throws: ValidationError.self) { try JSONPointer("reading") }
        #expect(throws: ValidationError.self) { try JSONPointer("/a~2") }
    }

    @Test func typesAndServicesAreValidated() {
        for good in ["a", "order.created", "a-b_c.D9"] { #expect(throws: Never.self) { try MessageType.validate(good) } }
        for bad in [
            "", ".a", "a.", "a..b", "a b", "a.*", "a.>", String(repeating: "a", count: 129),
            Array(repeating: "a", count: 17).joined(separator: "."),
        ] {
            #expect(throws: ValidationError.self, "\(bad)") { try MessageType.validate(bad) }
        }
        #expect(throws: ValidationError.self) { try MessageType.validateService("a.b") }
    }
}
