import AsyncHTTPClient
import FabricConformance
import FabricCore
import FabricHTTP
import FabricNATS
import FabricTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import ServiceLifecycle
import Testing

@Suite("HTTP Server-Sent Events", .timeLimit(.minutes(3)))
struct EventStreamTests {
    @Test func receivesTopicUserAndItsOwnClientMessagesOnly() async throws {
        try await ConformanceEnvironment.run { environment in
            let http = try await HTTPTestAdapter.make(environment)
            try await http.run {
                let client = try Self.client()
                let url = try await http.urls.url(.http) + "/v1/events?topic=sensors/+/temp&session=tab1"
                let response = try await Self.open(url, token: environment.tokens.valid(), client: client)
                #expect(response.status == .ok)
                #expect(response.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true)
                let clientID = FabricNames.clientID(principal: "alice", session: "tab1")
                #expect(response.headers.first(name: "x-fabric-client") == clientID)
                var events = EventStreamReader(response)
                let ready = try #require(try await events.nextEvent())
                #expect(ready.event == "ready")
                #expect(ready.json["client"] == .string(clientID))

                let bus = environment.connection
                try Self.send(
                    bus, to: FabricNames.Subject.outTopic(try Topic("sensors/eu/temp")), type: "sensor.reading",
                    topic: "sensors/eu/temp", payload: #"{"c":21}"#)
                let reading = try #require(try await events.nextEvent())
                #expect(reading.event == "sensor.reading")
                #expect(reading.json["topic"] == .string("sensors/eu/temp"))
                #expect(reading.json["payload"] == .object(["c": .number(21)]))
                #expect(reading.id == nil)

                // Another client's message, a topic the stream did not ask for, then its own:
                // published in that order on one connection, so the first two would arrive first.
                try Self.send(
                    bus, to: FabricNames.Subject.outClient(FabricNames.clientID(principal: "alice", session: "tab2")),
                    type: "not.mine")
                try Self.send(bus, to: FabricNames.Subject.outTopic(try Topic("sensors/eu/humidity")), type: "not.subscribed")
                try Self.send(bus, to: FabricNames.Subject.outClient(clientID), type: "note.mine", payload: "plain text")
                let mine = try #require(try await events.nextEvent())
                #expect(mine.event == "note.mine")
                #expect(mine.json["payload_base64"] == .string(Data("plain text".utf8).base64EncodedString()))

                try Self.send(bus, to: FabricNames.Subject.outUser(principal: "alice"), type: "user.note")
                let user = try #require(try await events.nextEvent())
                #expect(user.event == "user.note")
                try await client.shutdown()
            }
        }
    }

    @Test func resumesAfterLastEventIDFromTheOutbox() async throws {
        try await ConformanceEnvironment.run { environment in
            let http = try await HTTPTestAdapter.make(environment)
            let clientID = FabricNames.clientID(principal: "alice", session: "phone")
            var sequences: [UInt64] = []
            for index in 1...3 {
                var envelope = Envelope(type: "outbox.item", source: .internal, payload: Array(#"{"n":\#(index)}"#.utf8))
                envelope.correlationID = "outbox-\(index)"
                let ack = try await environment.jetStream.publish(
                    FabricNames.Subject.outbox(clientID: clientID), headers: envelope.headers, payload: envelope.payload,
                    messageID: envelope.id)
                sequences.append(ack.sequence)
            }
            try await http.run {
                let client = try Self.client()
                let url = try await http.urls.url(.http) + "/v1/events?session=phone"
                let response = try await Self.open(
                    url, token: environment.tokens.valid(), client: client, headers: [("Last-Event-ID", String(sequences[0]))])
                var events = EventStreamReader(response)
                #expect(try await events.nextEvent()?.event == "ready")
                for sequence in sequences.dropFirst() {
                    let replayed = try #require(try await events.nextEvent())
                    #expect(replayed.id == String(sequence))
                    #expect(replayed.event == "outbox.item")
                    #expect(replayed.json["sequence"] == .number(Double(sequence)))
                }
                // As delivery's pump sends them: a frame already written is answered `ok` at once
                // and not written again; a newer one is written with its sequence, then answered.
                let bus = environment.connection
                let last = sequences[2]
                let again = try await Self.frame(bus, to: clientID, type: "again", sequence: last)
                #expect(again.headers[HeaderName.status] == Status.ok.rawValue)
                let newer = try await Self.frame(bus, to: clientID, type: "newer", sequence: last + 100)
                #expect(newer.headers[HeaderName.status] == Status.ok.rawValue)
                let live = try #require(try await events.nextEvent())
                #expect(live.event == "newer")
                #expect(live.id == String(last + 100))
                // A frame without its sequence cannot be confirmed: refused, not written.
                var unnumbered = Envelope(type: "unnumbered", source: .internal, payload: Array("{}".utf8))
                unnumbered.correlationID = "no-sequence"
                let refused = try await bus.request(
                    FabricNames.Subject.outClient(clientID), headers: unnumbered.headers, payload: unnumbered.payload,
                    timeout: .seconds(10))
                #expect(refused.headers[HeaderName.status] == Status.rejected.rawValue)
                // A plain publish is at-most-once: written without an id, whatever its headers say.
                try Self.send(bus, to: FabricNames.Subject.outClient(clientID), type: "plain", sequence: last + 200)
                let plain = try #require(try await events.nextEvent())
                #expect(plain.event == "plain")
                #expect(plain.id == nil)
                try await client.shutdown()
            }
        }
    }

    @Test func refusesBadStreams() async throws {
        try await ConformanceEnvironment.run { environment in
            let http = try await HTTPTestAdapter.make(environment, yaml: "events: { max_topics: 2 }")
            try await http.run {
                let driver = try AsyncHTTPDriver(
                    listener: .http, urls: http.urls, certificate: try await TestCertificate.shared())
                let auth = [("Authorization", "Bearer \(environment.tokens.valid())")]
                let anonymous = try await driver.execute(.GET, "/v1/events?topic=a")
                #expect(anonymous.status == 401)
                #expect(anonymous.field("reason") == "missing")
                let expired = try await driver.execute(
                    .GET, "/v1/events?topic=a", headers: [("Authorization", "Bearer \(environment.tokens.forged(.expired)!)")])
                #expect(expired.field("reason") == "expired")
                let tooMany = try await driver.execute(.GET, "/v1/events?topic=a&topic=b&topic=c", headers: auth)
                #expect(tooMany.status == 400)
                let badFilter = try await driver.execute(.GET, "/v1/events?topic=a/%23/b", headers: auth)
                #expect(badFilter.status == 400)
                let badResume = try await driver.execute(.GET, "/v1/events?topic=a", headers: auth + [("Last-Event-ID", "x")])
                #expect(badResume.status == 400)
                await driver.close()
            }
        }
    }

    @Test func shutdownEndsOpenStreamsWithACloseEvent() async throws {
        try await ConformanceEnvironment.run { environment in
            let http = try await HTTPTestAdapter.make(environment)
            let group = ServiceGroup(services: [http.adapter], logger: HTTPTestAdapter.logger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let client = try Self.client()
                let response = try await Self.open(
                    try await http.urls.url(.http) + "/v1/events?topic=x", token: environment.tokens.valid(), client: client)
                var events = EventStreamReader(response)
                #expect(try await events.nextEvent()?.event == "ready")
                #expect(http.adapter.eventStreams == 1)
                await group.triggerGracefulShutdown()
                let closing = try #require(try await events.nextEvent())
                #expect(closing.event == "close")
                #expect(closing.json["reason"] == .string("shutdown"))
                let end = try await events.nextFrame()
                #expect(end == nil)
                try await tasks.waitForAll()
                try await client.shutdown()
            }
            http.connection.close()
        }
    }

    // MARK: Helpers

    static func client() throws -> HTTPClient {
        HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init())
    }

    static func open(
        _ url: String, token: String?, client: HTTPClient, headers: [(String, String)] = []
    ) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return try await client.execute(request, timeout: .seconds(60))
    }

    /// Sends an at-least-once frame as delivery's outbox pump does, and returns the answer.
    static func frame(
        _ connection: NATSConnection, to clientID: String, type: String, sequence: UInt64
    ) async throws
        -> NATSMessage
    {
        var envelope = Envelope(type: type, source: .internal, payload: Array("{}".utf8))
        envelope.sequence = sequence
        return try await connection.request(
            FabricNames.Subject.outClient(clientID), headers: envelope.headers, payload: envelope.payload,
            timeout: .seconds(10))
    }

    /// Publishes an envelope as a backend would.
    static func send(
        _ connection: NATSConnection, to subject: String, type: String, topic: String? = nil, payload: String = "{}",
        sequence: UInt64? = nil
    ) throws {
        var envelope = Envelope(type: type, source: .internal, payload: Array(payload.utf8))
        envelope.topic = topic
        envelope.sequence = sequence
        try connection.publish(subject, headers: envelope.headers, payload: envelope.payload)
    }
}
