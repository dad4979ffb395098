import AsyncHTTPClient
import FabricConformance
import FabricCore
import FabricDelivery
import FabricHTTP
import FabricNATS
import FabricTestSupport
import Foundation
import Testing

/// Event streams as client sessions of the delivery service (the outbox contract,
/// `docs/delivery.md`), with the real `DeliveryService` running in-process.
@Suite("HTTP event streams as outbox sessions", .timeLimit(.minutes(3)))
struct EventStreamSessionTests {
    @Test func queuedMessagesReachTheStreamInOrderAndEachIsSentOnce() async throws {
        try await ConformanceEnvironment.run { environment in
            let http = try await HTTPTestAdapter.make(environment)
            let clientID = FabricNames.clientID(principal: "alice", session: "inbox")
            try await withServices([try Self.delivery(environment)]) {
                try await http.run {
                    // Every frame delivery sends to the client (a request carrying Fabric-Sequence).
                    let frames = try await SubjectRecorder.start(
                        on: environment.connection, subject: FabricNames.Subject.outClient(clientID))
                    let client = try EventStreamTests.client()
                    let response = try await EventStreamTests.open(
                        try await http.urls.url(.http) + "/v1/events?session=inbox", token: environment.tokens.valid(),
                        client: client)
                    var events = EventStreamReader(response)
                    #expect(try await events.nextEvent()?.event == "ready")
                    var sequences: [UInt64] = []
                    for index in 1...5 { sequences.append(try await Self.queue(environment, to: clientID, index)) }
                    for (index, sequence) in sequences.enumerated() {
                        let event = try #require(try await events.nextEvent())
                        #expect(event.event == "note.new")
                        #expect(event.id == String(sequence))
                        #expect(event.json["payload"] == .object(["n": .number(Double(index + 1))]))
                    }
                    // Each frame was answered once written: delivery purged it and went on, never resending.
                    #expect(try await eventually(timeout: .seconds(30)) { try await Self.depth(environment, clientID) == 0 })
                    #expect(frames.messages.compactMap { $0.headers[HeaderName.sequence].flatMap(UInt64.init) } == sequences)
                    try await client.shutdown()
                }
            }
        }
    }

    @Test func aReconnectWithLastEventIDContinuesAfterIt() async throws {
        try await ConformanceEnvironment.run { environment in
            // Frequent keep-alives: the adapter notices a client that left at its next write.
            let http = try await HTTPTestAdapter.make(environment, yaml: "events: { heartbeat: 100ms }")
            let clientID = FabricNames.clientID(principal: "alice", session: "phone")
            try await withServices([try Self.delivery(environment)]) {
                try await http.run {
                    let presence = try await SubjectRecorder.start(
                        on: environment.connection, subject: FabricNames.Subject.presenceAll)
                    let url = try await http.urls.url(.http) + "/v1/events?session=phone"
                    let first = try EventStreamTests.client()
                    var events = EventStreamReader(
                        try await EventStreamTests.open(url, token: environment.tokens.valid(), client: first))
                    #expect(try await events.nextEvent()?.event == "ready")
                    let delivered = try await Self.queue(environment, to: clientID, 1)
                    #expect(try await events.nextEvent()?.id == String(delivered))

                    // The client goes away; its session ends with what was written.
                    try? await first.shutdown()
                    let gone = try #require(
                        await presence.first { $0.subject == FabricNames.Subject.presenceDisconnect })
                    let disconnect = try PresenceEvent.decode(gone.payload)
                    #expect(disconnect.client == clientID)
                    #expect(disconnect.principal == "alice")
                    #expect(disconnect.protocol == "http")
                    #expect(disconnect.lastSequence == delivered)

                    // Queued while it is away; it comes back saying it has seen the first of them.
                    var waiting: [UInt64] = []
                    for index in 2...4 { waiting.append(try await Self.queue(environment, to: clientID, index)) }
                    let second = try EventStreamTests.client()
                    var resumed = EventStreamReader(
                        try await EventStreamTests.open(
                            url, token: environment.tokens.valid(), client: second,
                            headers: [("Last-Event-ID", String(waiting[0]))]))
                    #expect(try await resumed.nextEvent()?.event == "ready")
                    for (offset, sequence) in waiting.dropFirst().enumerated() {
                        let event = try #require(try await resumed.nextEvent())
                        #expect(event.id == String(sequence))
                        #expect(event.json["payload"] == .object(["n": .number(Double(offset + 3))]))
                    }
                    // Nothing is written twice: the next event is the next message.
                    let later = try await Self.queue(environment, to: clientID, 5)
                    #expect(try await resumed.nextEvent()?.id == String(later))
                    #expect(try await eventually(timeout: .seconds(30)) { try await Self.depth(environment, clientID) == 0 })

                    let connects = try presence.messages.filter { $0.subject == FabricNames.Subject.presenceConnect }
                        .map { try PresenceEvent.decode($0.payload) }
                    #expect(connects.map(\.lastSequence) == [0, waiting[0]])
                    #expect(Set(connects.map(\.session)).count == 2)
                    #expect(connects.first?.session == disconnect.session)
                    try await second.shutdown()
                }
            }
        }
    }

    @Test func aSecondStreamTakesTheSessionOverAndTheFirstIsToldWhy() async throws {
        try await ConformanceEnvironment.run { environment in
            let http = try await HTTPTestAdapter.make(environment)
            let clientID = FabricNames.clientID(principal: "alice", session: "tab")
            try await withServices([try Self.delivery(environment)]) {
                try await http.run {
                    let presence = try await SubjectRecorder.start(
                        on: environment.connection, subject: FabricNames.Subject.presenceAll)
                    let url = try await http.urls.url(.http) + "/v1/events?session=tab"
                    let client = try EventStreamTests.client()
                    var first = EventStreamReader(
                        try await EventStreamTests.open(url, token: environment.tokens.valid(), client: client))
                    #expect(try await first.nextEvent()?.event == "ready")
                    var second = EventStreamReader(
                        try await EventStreamTests.open(url, token: environment.tokens.valid(), client: client))
                    #expect(try await second.nextEvent()?.event == "ready")

                    let closing = try #require(try await first.nextEvent())
                    #expect(closing.event == "close")
                    #expect(closing.json["reason"] == .string("session-taken-over"))
                    #expect(try await first.nextFrame() == nil)
                    #expect(await eventually { http.adapter.eventStreams == 1 })
                    #expect(await eventually { presence.messages.count == 3 })
                    let events = try presence.messages.map { ($0.subject, try PresenceEvent.decode($0.payload)) }

                    // A late copy of the first session's connect (one still in flight when the
                    // second stream opened) takes nothing over: that session is older.
                    let stale = try #require(presence.messages.first)
                    try environment.connection.publish(FabricNames.Subject.presenceConnect, payload: stale.payload)
                    try await environment.connection.flush()

                    // The new stream holds the session: the client's queued messages reach it.
                    let sequence = try await Self.queue(environment, to: clientID, 1)
                    #expect(try await second.nextEvent()?.id == String(sequence))
                    #expect(try await eventually(timeout: .seconds(30)) { try await Self.depth(environment, clientID) == 0 })
                    #expect(http.adapter.eventStreams == 1)

                    // The old session's disconnect went out before the new one's connect.
                    #expect(
                        events.map(\.0) == [
                            FabricNames.Subject.presenceConnect, FabricNames.Subject.presenceDisconnect,
                            FabricNames.Subject.presenceConnect,
                        ])
                    if events.count == 3 {
                        #expect(events[0].1.session == events[1].1.session)
                        #expect(events[2].1.session != events[0].1.session)
                        #expect(events.allSatisfy { $0.1.client == clientID })
                    }
                    try await client.shutdown()
                }
            }
        }
    }

    @Test func aStreamOnAnotherInstanceTakesTheSessionOver() async throws {
        try await ConformanceEnvironment.run { environment in
            let one = try await HTTPTestAdapter.make(environment, name: "first")
            let two = try await HTTPTestAdapter.make(environment, name: "second")
            let clientID = FabricNames.clientID(principal: "alice", session: "roaming")
            try await one.run {
                try await two.run {
                    let client = try EventStreamTests.client()
                    let path = "/v1/events?session=roaming"
                    var first = EventStreamReader(
                        try await EventStreamTests.open(
                            try await one.urls.url(.http) + path, token: environment.tokens.valid(), client: client))
                    #expect(try await first.nextEvent()?.event == "ready")
                    var second = EventStreamReader(
                        try await EventStreamTests.open(
                            try await two.urls.url(.http) + path, token: environment.tokens.valid(), client: client))
                    #expect(try await second.nextEvent()?.event == "ready")

                    let closing = try #require(try await first.nextEvent())
                    #expect(closing.event == "close")
                    #expect(closing.json["reason"] == .string("session-taken-over"))
                    #expect(try await first.nextFrame() == nil)
                    #expect(await eventually { one.adapter.eventStreams == 0 })

                    try EventStreamTests.send(
                        environment.connection, to: FabricNames.Subject.outClient(clientID), type: "note.here")
                    #expect(try await second.nextEvent()?.event == "note.here")
                    try await client.shutdown()
                }
            }
        }
    }

    // MARK: Helpers

    /// A delivery service over the environment, with short outbox timings.
    static func delivery(_ environment: ConformanceEnvironment) throws -> DeliveryService {
        let config = try FabricConfig(
            reader: ConfigReader.parse(
                yaml: """
                    delivery:
                      metrics_interval: 100ms
                      outbox: { ack_timeout: 2s, retry_delay: 50ms, poll_interval: 200ms, expiry_interval: 1s }
                    """))
        return DeliveryService(jetStream: environment.jetStream, config: config, logger: HTTPTestAdapter.logger)
    }

    /// Queues `{"n":index}` for `clientID` as `ServiceContext.outbox` does; returns its outbox sequence.
    static func queue(_ environment: ConformanceEnvironment, to clientID: String, _ index: Int) async throws -> UInt64 {
        var envelope = Envelope(type: "note.new", source: .internal, payload: Array(#"{"n":\#(index)}"#.utf8))
        envelope.contentType = "application/json"
        return try await environment.jetStream.publish(
            FabricNames.Subject.outbox(clientID: clientID), headers: envelope.headers, payload: envelope.payload,
            messageID: envelope.id, expectedStream: FabricNames.Stream.outbox
        ).sequence
    }

    /// Messages queued for `clientID` now.
    static func depth(_ environment: ConformanceEnvironment, _ clientID: String) async throws -> UInt64 {
        let subject = FabricNames.Subject.outbox(clientID: clientID)
        return try await environment.jetStream.streamInfo(FabricNames.Stream.outbox, subjectsFilter: subject)
            .subjects[subject] ?? 0
    }
}
