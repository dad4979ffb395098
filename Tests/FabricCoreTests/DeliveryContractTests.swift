import FabricCore
import Foundation
import Testing

@Suite("Delivery configuration and contracts")
struct DeliveryContractTests {
    func load(_ yaml: String) throws(ValidationError) -> FabricConfig {
        try FabricConfig(reader: ConfigReader.parse(yaml: yaml))
    }

    @Test func deliveryDefaults() throws {
        let delivery = try load("").delivery
        #expect(delivery.concurrency == 64)
        #expect(delivery.ackWait == .seconds(30))
        #expect(delivery.attemptTimeout == .seconds(30))
        #expect(delivery.discoveryInterval == .seconds(1))
        #expect(delivery.outbox.ackTimeout == .seconds(30))
        #expect(delivery.settings(for: "any").concurrency == 64)
    }

    @Test func perServiceSettingsOverrideTheDefaults() throws {
        let delivery = try load(
            """
            delivery:
              concurrency: 10
              services:
                billing: { concurrency: 2, attempt_timeout: 90s }
                mail: {}
            """
        ).delivery
        #expect(delivery.settings(for: "billing") == DeliveryConfig.Service(concurrency: 2, attemptTimeout: .seconds(90)))
        #expect(delivery.settings(for: "mail").concurrency == 10)
        #expect(delivery.settings(for: "other").concurrency == 10)
        #expect(delivery.services.keys.sorted() == ["billing", "mail"])
    }

    @Test func badDeliveryKeysNameThePathAndLine() {
        #expect(throws: ValidationError.self) { try load("delivery:\n  concurency: 3\n") }
        do {
            _ = try load("delivery:\n  services:\n    bad.name: { concurrency: 1 }\n")
            Issue.record("a service name with a dot was accepted")
        } catch {
            #expect(error.path == "delivery.services.bad.name")
        }
        do {
            _ = try load("delivery:\n  ack_wait: 10ms\n")
            Issue.record("an ack wait of 10ms was accepted")
        } catch {
            #expect(error.description == "delivery.ack_wait: must be at least 300ms (line 2)")
        }
        do {
            _ = try load("delivery:\n  outbox: { ack_timout: 1s }\n")
            Issue.record("a typo was accepted")
        } catch {
            #expect(error.path == "delivery.outbox.ack_timout")
        }
    }

    @Test func presenceEventsRoundTripAndAreChecked() throws {
        let event = PresenceEvent(
            client: FabricNames.clientID(principal: "a.b@x.com", session: "tab 1"), principal: "a.b@x.com", instance: "ws-1",
            protocol: "ws", session: "s-1", lastSequence: 42, time: 1_700_000_000_000)
        let text = String(decoding: event.json, as: UTF8.self)
        #expect(
            text
                == #"{"client":"a~2Eb~40x~2Ecom~~tab~201","instance":"ws-1","last_sequence":42,"principal":"a.b@x.com","protocol":"ws","session":"s-1","time":1700000000000}"#
        )
        #expect(try PresenceEvent.decode(event.json) == event)
        // last_sequence and time may be left out by an adapter that has none.
        let minimal = try PresenceEvent.decode(
            Array(#"{"client":"c","principal":"p","instance":"i","protocol":"mqtt","session":"s"}"#.utf8))
        #expect(minimal.lastSequence == 0)
        #expect(throws: ValidationError.self) {
            try PresenceEvent.decode(
                Array(#"{"client":"a.b","principal":"p","instance":"i","protocol":"ws","session":"s"}"#.utf8))
        }
        #expect(throws: ValidationError.self) { try PresenceEvent.decode(Array("not json".utf8)) }
    }

    @Test func rfc3339ParsesJetStreamTimesAndFormatsBack() {
        #expect(RFC3339.parse("1970-01-01T00:00:00Z") == 0)
        #expect(RFC3339.parse("2024-05-01T12:00:00.123456789Z") == 1_714_564_800_123_456_789)
        #expect(RFC3339.parse("2024-05-01T14:00:00.5+02:00") == 1_714_564_800_500_000_000)
        #expect(RFC3339.format(1_714_564_800_123_456_789) == "2024-05-01T12:00:00.123456789Z")
        #expect(RFC3339.format(1_714_564_800_123_456_789, fractionDigits: 3) == "2024-05-01T12:00:00.123Z")
        #expect(RFC3339.format(0, fractionDigits: 0) == "1970-01-01T00:00:00Z")
        for bad in ["", "2024-13-01T00:00:00Z", "2024-05-01", "2024-05-01T00:00:00", "3000-01-01T00:00:00Z"] {
            #expect(RFC3339.parse(bad) == nil, "\(bad)")
        }
        for nanoseconds: Int64 in [1, 999_999_999, 1_000_000_000, 86_399_999_999_999, 4_102_444_800_000_000_000] {
            #expect(RFC3339.parse(RFC3339.format(nanoseconds)) == nanoseconds)
        }
    }
}
