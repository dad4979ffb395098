import FabricCore
import FabricExamples
import FabricNATS
import FabricTestSupport
import Foundation
import ServiceLifecycle

/// One case against one running adapter.
struct CaseRun: Sendable {
    let environment: ConformanceEnvironment
    let driver: any ConformanceDriver
    let subject: any ConformanceSubject
    let group: ServiceGroup
    let stopped: OneShotSignal

    var tokens: ConformanceTokens { environment.tokens }

    func run(_ testCase: ConformanceCase) async throws {
        switch testCase {
        case .authMatrix: try await authMatrix()
        case .publishAtMostOnce: try await publishAtMostOnce()
        case .publishAtLeastOnce: try await publishAtLeastOnce()
        case .publishStoreUnavailable: try await publishStoreUnavailable()
        case .requestReply: try await requestReply()
        case .backendTimeout: try await backendTimeout()
        case .idempotency: try await idempotency()
        case .headerStripping: try await headerStripping()
        case .oversizedInput: try await oversizedInput()
        case .drain: try await drain()
        }
    }

    // MARK: Cases

    private func authMatrix() async throws {
        let start = environment.spy.messages.count
        for forgery in ConformanceTokens.Forgery.allCases {
            let token = tokens.forged(forgery)
            for (operation, outcome) in [
                ("publish", try await driver.publish(ConformanceMessage(type: "note.auth", token: token))),
                ("request", try await driver.request(ConformanceMessage(type: "echo", token: token))),
            ] {
                try check(
                    outcome.status == .unauthorized && outcome.reason == forgery.reason,
                    "\(subject) \(operation) with a \(forgery) token: expected unauthorized (\(forgery.reason)), got \(outcome)")
            }
        }
        try await expectNothingPublished(since: start)
    }

    private func publishAtMostOnce() async throws {
        let nonce = Self.nonce()
        let outcome = try await driver.publish(
            ConformanceMessage(type: "note.created", payload: Self.json(nonce), token: tokens.valid()))
        try check(outcome.status == .ok, "\(subject) publish at-most-once: expected ok, got \(outcome)")
        let delivered = try required(
            await environment.spy.first { $0.subject == "fabric.svc.notes" && $0.text.contains(nonce) },
            "\(subject): the published message never reached fabric.svc.notes")
        try checkEnvelope(delivered.headers, type: "note.created")
        if let correlation = outcome.correlationID {
            try check(
                delivered.headers[HeaderName.correlationId] == correlation,
                "\(subject): Fabric-Correlation-Id \(delivered.headers[HeaderName.correlationId] ?? "none") ≠ returned \(correlation)"
            )
        }
    }

    private func publishAtLeastOnce() async throws {
        let nonce = Self.nonce()
        let outcome = try await driver.publish(
            ConformanceMessage(type: "order.created", payload: Self.json(nonce), token: tokens.valid()))
        try check(outcome.status == .ok, "\(subject) publish at-least-once: expected ok, got \(outcome)")
        // Read right after the ack, without waiting: the ack must not come before the store.
        let stored = try await environment.jetStream.lastMessage(
            stream: FabricNames.Stream.work, subject: FabricNames.Subject.work(service: "ledger"))
        try check(
            String(decoding: stored.payload, as: UTF8.self).contains(nonce),
            "\(subject): FABRIC_WORK's last ledger message is not the one acknowledged")
        try checkEnvelope(stored.headers, type: "order.created")
    }

    private func publishStoreUnavailable() async throws {
        // FABRIC_WORK holds one message and refuses new ones when full.
        let first = try await driver.publish(ConformanceMessage(type: "order.first", token: tokens.valid()))
        try check(first.status == .ok, "\(subject): the first at-least-once publish: expected ok, got \(first)")
        let second = try await driver.publish(ConformanceMessage(type: "order.second", token: tokens.valid()))
        try check(
            second.status == .unavailable,
            "\(subject): an at-least-once publish the store refused: expected unavailable, got \(second)")
    }

    private func requestReply() async throws {
        let nonce = Self.nonce()
        let outcome = try await driver.request(
            ConformanceMessage(type: "echo", payload: Array(#"{"n":1,"nonce":"\#(nonce)"}"#.utf8), token: tokens.valid()))
        try check(outcome.status == .ok, "\(subject) request to echo: expected ok, got \(outcome)")
        let echo = try decodeEcho(outcome)
        try check(echo.type == "echo", "\(subject): echo saw type \(echo.type)")
        try check(echo.principal == "alice", "\(subject): echo saw principal \(echo.principal ?? "none"), not alice")
        try check(echo.roles == ["reader"], "\(subject): echo saw roles \(echo.roles)")
        try check(echo.tenant == "acme", "\(subject): echo saw tenant \(echo.tenant ?? "none")")
        try check(echo.claims["plan"] == .string("pro"), "\(subject): echo saw claims \(echo.claims)")
        try check(
            echo.payload == .object(["n": .number(1), "nonce": .string(nonce)]), "\(subject): echo saw payload \(echo.payload)")
        try check(outcome.correlationID != nil, "\(subject): no correlation id returned")
    }

    private func backendTimeout() async throws {
        let outcome = try await driver.request(
            ConformanceMessage(type: "silent", token: tokens.valid(), timeout: .milliseconds(300)))
        try check(outcome.status == .timeout, "\(subject) request nobody answers: expected timeout, got \(outcome)")
        try check(
            outcome.correlationID.map { !$0.isEmpty } ?? false, "\(subject): a timeout must carry the correlation id")
    }

    private func idempotency() async throws {
        let key = "key-\(Self.nonce())"
        let workSubject = FabricNames.Subject.work(service: "ledger")
        for attempt in 1...2 {
            let outcome = try await driver.publish(
                ConformanceMessage(type: "order.paid", token: tokens.valid(), idempotencyKey: key))
            try check(outcome.status == .ok, "\(subject) publish #\(attempt) with an idempotency key: got \(outcome)")
        }
        let count = try await storedCount(workSubject)
        try check(count == 1, "\(subject): the same Idempotency-Key twice stored \(count) messages, not 1")
        let stored = try await environment.jetStream.lastMessage(stream: FabricNames.Stream.work, subject: workSubject)
        let expected = FabricID.derived(principal: "alice", key: key)
        try check(
            stored.headers[HeaderName.id] == expected,
            "\(subject): Fabric-Id \(stored.headers[HeaderName.id] ?? "none") is not derived from (alice, key) = \(expected)")
        try check(stored.headers[HeaderName.idempotencyKey] == key, "\(subject): Fabric-Idempotency-Key not carried")
        let other = try await driver.publish(
            ConformanceMessage(type: "order.paid", token: tokens.valid(), idempotencyKey: key + "-other"))
        try check(other.status == .ok, "\(subject) publish with another key: got \(other)")
        let counted = try await storedCount(workSubject)
        try check(counted == 2, "\(subject): another key must be another message (\(counted) stored)")
    }

    private func headerStripping() async throws {
        let nonce = Self.nonce()
        let token = tokens.valid()
        let forged: [(name: String, value: String)] = [
            ("Fabric-Principal", "mallory"), ("fabric-roles", "admin"), ("FABRIC-TENANT", "evil"), ("Nats-Msg-Id", "forged"),
            ("Fabric-Deadline", "1"), ("X-Region", "eu"), ("X-Original-Authorization", "Bearer \(token)"),
        ]
        let outcome = try await driver.request(
            ConformanceMessage(type: "echo", payload: Self.json(nonce), token: token, metadata: forged))
        try check(outcome.status == .ok, "\(subject) request with forged headers: expected ok, got \(outcome)")
        let echo = try decodeEcho(outcome)
        try check(
            echo.principal == "alice", "\(subject): a client Fabric-Principal reached the backend: \(echo.principal ?? "none")")
        try check(echo.roles == ["reader"], "\(subject): a client Fabric-Roles reached the backend: \(echo.roles)")
        try check(echo.tenant == "acme", "\(subject): a client Fabric-Tenant reached the backend: \(echo.tenant ?? "none")")
        try check(
            echo.headers[ConformanceEnvironment.forwardedHeader] == "eu",
            "\(subject): the configured header \(ConformanceEnvironment.forwardedHeader) was not forwarded: \(echo.headers)")
        for (name, value) in echo.headers {
            try check(
                !["mallory", "admin", "evil", "forged"].contains(value) && name.lowercased() != "nats-msg-id",
                "\(subject): client header \(name): \(value) reached the backend")
        }
        let inbound = try required(
            await environment.spy.first { $0.subject == "fabric.in.echo" && $0.text.contains(nonce) },
            "\(subject): the request never reached fabric.in.echo")
        try check(
            inbound.headers.values(HeaderName.principal) == ["alice"] && inbound.headers.values("Nats-Msg-Id").isEmpty
                && inbound.headers.values(HeaderName.deadline).allSatisfy { $0 != "1" },
            "\(subject): forged headers in the envelope: \(inbound.headers.map { "\($0.name): \($0.value)" })")
        // A raw token never enters the fabric: the adapter forwards the verified claims only.
        _ = await environment.spy.first { $0.subject == "fabric.svc.echo" && $0.text.contains(nonce) }
        let leaked = Self.holding(token, environment.spy.messages)
        try check(leaked.isEmpty, "\(subject): the raw token was published on \(leaked)")
        try check(
            Self.holding(token, [NATSMessage(subject: "echo", payload: outcome.payload)]).isEmpty,
            "\(subject): the backend saw the raw token")
    }

    private func oversizedInput() async throws {
        let start = environment.spy.messages.count
        let big = [UInt8](repeating: UInt8(ascii: "a"), count: ConformanceEnvironment.maxPayload + 1)
        for (operation, outcome) in [
            ("publish", try await driver.publish(ConformanceMessage(type: "note.big", payload: big, token: tokens.valid()))),
            ("request", try await driver.request(ConformanceMessage(type: "echo", payload: big, token: tokens.valid()))),
        ] {
            try check(
                outcome.status == .rejected && outcome.tooLarge,
                "\(subject) \(operation) one byte over the limit: expected rejected as too large, got \(outcome)")
        }
        try await expectNothingPublished(since: start)
        let fits = [UInt8](repeating: UInt8(ascii: "a"), count: ConformanceEnvironment.maxPayload)
        let outcome = try await driver.publish(ConformanceMessage(type: "note.fits", payload: fits, token: tokens.valid()))
        try check(outcome.status == .ok, "\(subject) publish of exactly the limit: expected ok, got \(outcome)")
    }

    private func drain() async throws {
        let nonce = Self.nonce()
        let driver = self.driver
        let token = tokens.valid()
        async let inFlight = driver.request(
            ConformanceMessage(type: "slow", payload: Self.json(nonce), token: token, timeout: .seconds(30)))
        let arrived = await environment.gate.waitForArrivals(1)
        try check(arrived, "\(subject): the request never reached the backend")
        await group.triggerGracefulShutdown()
        // New requests are turned away while the one in flight is still being worked on...
        let refusing = await eventually(timeout: .seconds(20)) {
            do {
                return try await driver.request(ConformanceMessage(type: "echo", token: token)).status == .unavailable
            } catch {
                return true  // refused at the connection: as good
            }
        }
        environment.gate.open()
        let outcome = try await inFlight
        try check(refusing, "\(subject): still serving new requests after the shutdown began")
        // ...the request in flight is answered, not cut off...
        try check(outcome.status == .ok, "\(subject): the request in flight during the drain: expected ok, got \(outcome)")
        try check(outcome.text.contains(nonce), "\(subject): the drained request got another answer: \(outcome)")
        // ...and once it is, the adapter stops. (Whether its port then refuses connections is
        // not checked: a test running beside it may already have been given the same port.)
        await stopped.wait()
    }

    // MARK: Helpers

    /// A valid publish after the refused ones: when the spy sees it, anything the refused
    /// ones published (earlier, on the same adapter connection) would be there before it.
    private func expectNothingPublished(since start: Int) async throws {
        let nonce = Self.nonce()
        let outcome = try await driver.publish(
            ConformanceMessage(type: "note.sentinel", payload: Self.json(nonce), token: tokens.valid()))
        try check(outcome.status == .ok, "\(subject): the sentinel publish failed: \(outcome)")
        let sentinel = try required(
            await environment.spy.first { $0.subject == "fabric.in.note.sentinel" && $0.text.contains(nonce) },
            "\(subject): the sentinel never reached fabric.in.note.sentinel")
        let all = environment.spy.messages
        let index = try required(all.firstIndex(of: sentinel), "\(subject): sentinel not in the spy's record")
        // Presence events are the adapter's session bookkeeping (a WebSocket connection opens
        // one session per connection), not the client's input.
        let published = all[min(start, index)..<index].filter { !$0.subject.hasPrefix("fabric.presence.") }
        try check(published.isEmpty, "\(subject): refused input was published: \(published.map(\.subject))")
    }

    private func checkEnvelope(_ headers: Headers, type: String) throws {
        try check(headers[HeaderName.type] == type, "\(subject): Fabric-Type \(headers[HeaderName.type] ?? "none")")
        try check(
            headers[HeaderName.principal] == "alice", "\(subject): Fabric-Principal \(headers[HeaderName.principal] ?? "none")")
        try check(
            headers[HeaderName.source] == subject.source.rawValue,
            "\(subject): Fabric-Source \(headers[HeaderName.source] ?? "none"), expected \(subject.source.rawValue)")
        try check(
            headers[HeaderName.id].map(FabricID.isValid) ?? false, "\(subject): Fabric-Id \(headers[HeaderName.id] ?? "none")")
        try check(
            TraceParent.validated(headers[HeaderName.traceparent]) != nil, "\(subject): no valid traceparent in the envelope")
    }

    private func decodeEcho(_ outcome: ConformanceOutcome) throws -> EchoBackend.Echo {
        do {
            return try JSONDecoder().decode(EchoBackend.Echo.self, from: Data(outcome.payload))
        } catch {
            throw ConformanceFailure("\(subject): echo's answer is not an Echo: \(outcome)", file: #fileID, line: #line)
        }
    }

    private func storedCount(_ subject: String) async throws -> UInt64 {
        let info = try await environment.jetStream.streamInfo(FabricNames.Stream.work, subjectsFilter: subject)
        return info.subjects[subject] ?? 0
    }

    /// Subjects of the messages whose headers or payload hold `token` or its signature.
    static func holding(_ token: String, _ messages: [NATSMessage]) -> [String] {
        let signature = token.split(separator: ".").last.map(String.init) ?? token
        return messages.filter { message in
            (message.headers.map(\.value) + [message.text]).contains { $0.contains(token) || $0.contains(signature) }
        }.map(\.subject)
    }

    static func nonce() -> String { FabricID.generate() }

    static func json(_ nonce: String) -> [UInt8] { Array(#"{"nonce":"\#(nonce)"}"#.utf8) }
}
