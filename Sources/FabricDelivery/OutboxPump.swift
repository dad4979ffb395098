import FabricCore
import FabricNATS
import Logging
import Metrics
import Synchronization

/// Hands one client's queued messages to the adapter holding it, in order, one at a
/// time: a request on `fabric.out.client.<id>` carrying `Fabric-Sequence`, answered by
/// the adapter once the client acknowledged the frame. A delivered message is purged
/// from `FABRIC_OUTBOX`, so the queue holds exactly what the client has not confirmed.
final class OutboxPump: Sendable {
    /// How a pump ended.
    enum End: Sendable {
        /// Nobody holds the client (no responders).
        case offline
        /// Stopped by the outbox service (new session, disconnect, shutdown).
        case cancelled
    }

    let client: String
    /// Tells this pump from a later one for the same client.
    let generation: UInt64
    /// The presence session it serves; nil when started by a new message or a sweep.
    let session: String?
    /// Sequence to start from (the client saw everything before it).
    let start: UInt64
    let signal = WakeSignal()
    private let cancelled = Atomic<Bool>(false)
    private let confirmedOnline = Atomic<Bool>(false)

    init(client: String, generation: UInt64, session: String?, start: UInt64) {
        self.client = client
        self.generation = generation
        self.session = session
        self.start = start
    }

    /// Stops the pump after the frame in flight, if any.
    func cancel() {
        cancelled.store(true, ordering: .releasing)
        signal.wake()
    }

    /// True once the adapter answered a frame (the client is online).
    var isConfirmedOnline: Bool { confirmedOnline.load(ordering: .acquiring) }

    private var isCancelled: Bool { cancelled.load(ordering: .acquiring) || Task.isCancelled }

    /// Delivers until the client is gone or the pump is cancelled.
    func run(_ context: OutboxContext) async -> End {
        let subject = FabricNames.Subject.outbox(clientID: client)
        let stream = FabricNames.Stream.outbox
        var cursor = max(1, start)
        if cursor > 1 {
            // The client saw everything before `cursor`: those need not wait any more.
            _ = try? await context.jetStream.purge(stream: stream, subject: subject, before: cursor)
        }
        var recheckSoon = false
        while !isCancelled {
            let next: StoredMessage?
            do {
                next = try await context.jetStream.directGet(stream: stream, .next(subject: subject, from: cursor))
            } catch {
                context.logger.debug("cannot read the outbox", metadata: ["client": "\(client)", "error": "\(error)"])
                _ = await signal.wait(upTo: context.settings.retryDelay)
                continue
            }
            guard let message = next else {
                // A new-message hint can overtake the store it announces: look once more soon.
                let woken = await signal.wait(upTo: recheckSoon ? .milliseconds(20) : context.settings.pollInterval)
                recheckSoon = woken
                continue
            }
            recheckSoon = false
            if context.isExpired(message.time) {
                if (try? await context.jetStream.delete(stream: stream, sequence: message.sequence)) != nil {
                    context.metrics.expired.increment()
                }
                cursor = message.sequence + 1
                continue
            }
            var headers = message.headers
            headers.removeAll { $0.name.hasPrefix("Nats-") }
            headers.set(HeaderName.sequence, String(message.sequence))
            let reply: NATSMessage
            do {
                reply = try await context.connection.request(
                    FabricNames.Subject.outClient(client), headers: headers, payload: message.payload,
                    timeout: context.settings.ackTimeout)
            } catch {
                if error.code == .noResponders { return .offline }
                if error.code == .timeout { context.metrics.timeouts.increment() }
                _ = await signal.wait(upTo: context.settings.retryDelay)
                continue
            }
            confirmedOnline.store(true, ordering: .releasing)
            switch reply.headers[HeaderName.status].flatMap(Status.init(rawValue:)) ?? .ok {
            case .ok:
                context.metrics.delivered.increment()
                _ = try? await context.jetStream.purge(stream: stream, subject: subject, before: message.sequence + 1)
                cursor = message.sequence + 1
            case .rejected:
                // The client cannot take this message (too large for its protocol, refused):
                // waiting would block every later one.
                context.metrics.rejected.increment()
                context.logger.warning(
                    "client refused a queued message",
                    metadata: [
                        "client": "\(client)", "sequence": "\(message.sequence)",
                        "error": "\(reply.headers[HeaderName.error] ?? "")",
                    ])
                _ = try? await context.jetStream.delete(stream: stream, sequence: message.sequence)
                cursor = message.sequence + 1
            default:
                _ = await signal.wait(upTo: context.settings.retryDelay)
            }
        }
        return .cancelled
    }
}
