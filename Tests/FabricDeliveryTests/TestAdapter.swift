import FabricCore
import FabricNATS
import Synchronization

/// The adapter side of the outbox contract, played by the test: holds one client,
/// publishes its presence, and answers each `fabric.out.client.<id>` request once "the
/// client acknowledged the frame" (at once here), never forwarding a sequence twice.
final class TestAdapter: Sendable {
    struct Frame: Sendable, Hashable {
        let sequence: UInt64
        let payload: String
    }

    let client: String
    let session: String
    let connection: NATSConnection
    private let state = Mutex<(frames: [Frame], lastAcked: UInt64, duplicates: Int)>(([], 0, 0))
    private let subscription: Mutex<NATSSubscription?> = Mutex(nil)

    /// Holds `client`, whose last acknowledged sequence is `lastSequence`; `refuse`
    /// decides which payloads the client cannot take (answered `rejected`).
    init(
        connection: NATSConnection, client: String, lastSequence: UInt64 = 0,
        refuse: @escaping @Sendable (String) -> Bool = { _ in false }
    ) throws {
        self.client = client
        self.session = FabricID.generate()
        self.connection = connection
        state.withLock { $0.lastAcked = lastSequence }
        let created = try connection.subscribe(to: FabricNames.Subject.outClient(client)) { [weak self] message in
            guard let self, let reply = message.replyTo else { return }  // at-most-once traffic: not used here
            guard let sequence = message.header(HeaderName.sequence).flatMap({ UInt64($0) }) else {
                try? connection.reply(to: reply, status: .rejected, error: "no Fabric-Sequence")
                return
            }
            let payload = String(decoding: message.payload, as: UTF8.self)
            if refuse(payload) {
                try? connection.reply(to: reply, status: .rejected, error: "client refused it")
                return
            }
            self.state.withLock { state in
                if sequence <= state.lastAcked {
                    state.duplicates += 1
                } else {
                    state.frames.append(Frame(sequence: sequence, payload: payload))
                    state.lastAcked = sequence
                }
            }
            try? connection.reply(to: reply, status: .ok)
        }
        subscription.withLock { $0 = created }
    }

    /// Frames the client got, in order.
    var frames: [Frame] { state.withLock { $0.frames } }
    /// Requests for sequences the client had already acknowledged.
    var duplicates: Int { state.withLock { $0.duplicates } }
    /// The highest acknowledged sequence.
    var lastAcked: UInt64 { state.withLock { $0.lastAcked } }

    /// Announces the session (after subscribing, as the contract says).
    func connect() async throws {
        try await connection.flush()
        try publish(.connect)
    }

    /// Ends the session: stops taking frames, then announces it.
    func disconnect() async throws {
        subscription.withLock { $0?.unsubscribe() }
        try await connection.flush()
        try publish(.disconnect)
    }

    private func publish(_ kind: PresenceEvent.Kind) throws {
        let event = PresenceEvent(
            client: client, principal: "alice", instance: "test-adapter", protocol: "ws", session: session,
            lastSequence: lastAcked)
        try connection.publish(kind.subject, payload: event.json)
    }
}
