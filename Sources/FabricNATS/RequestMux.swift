import CNATS
import FabricCore
import Synchronization

/// Asynchronous request/reply over one wildcard inbox subscription per connection.
///
/// nats.c's own request call blocks its thread until the answer comes; here the reply
/// is matched to a waiting continuation on nats.c's delivery thread instead, so a
/// request costs no thread while it waits.
final class RequestMux: Sendable {
    private struct State {
        var next: UInt64 = 0
        var pending: [UInt64: CheckedContinuation<Result<NATSMessage, NATSError>, Never>] = [:]
        var closed = false
        var subscription: NATSSubscription?
    }

    private let state = Mutex(State())
    private let prefix: String
    private let timer: DeadlineTimer

    init() {
        prefix = "_INBOX.\(FabricID.generate())."
        let box = WeakBox()
        timer = DeadlineTimer { id in
            box.mux?.complete(id, .failure(NATSError(.timeout, message: "request timed out")))
        }
        box.mux = self
    }

    func start(on connection: NATSConnection) throws(NATSError) {
        let prefixLength = prefix.utf8.count
        let subscription = try connection.subscribe(to: prefix + "*") { [weak self] message in
            guard let self else { return }
            let subject = message.subject
            guard let id = UInt64(subject.dropFirst(prefixLength)) else { return }
            if message.isNoResponders {
                self.complete(id, .failure(NATSError(.noResponders, message: "no responders")))
            } else {
                self.complete(id, .success(message.copy()))
            }
        }
        state.withLock { $0.subscription = subscription }
    }

    func request(
        connection: NATSConnection, subject: String, headers: Headers?, payload: some Collection<UInt8>, timeout: Duration,
        batch: NATSPublishBatch? = nil
    ) async -> Result<NATSMessage, NATSError> {
        let id = state.withLock { state -> UInt64 in
            state.next += 1
            return state.next
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let accepted = state.withLock { state -> Bool in
                    guard !state.closed else { return false }
                    state.pending[id] = continuation
                    return true
                }
                guard accepted else {
                    continuation.resume(returning: .failure(NATSError(.connectionClosed, message: "connection closed")))
                    return
                }
                timer.schedule(id: id, after: timeout)
                let replyTo = prefix + String(id)
                if let batch, batch.holds, let headers, !headers.isEmpty {
                    precondition(batch.connection === connection, "a publish batch of another connection")
                    let frame = withContiguousBytes(payload) { bytes in
                        NATSWireMessage.frame(subject: subject, replyTo: replyTo, headers: headers, bytes: bytes)
                    }
                    guard let frame else {
                        let status = NATSWireMessage.refusal(subject: subject, replyTo: replyTo)
                        complete(id, .failure(NATSError(status: status, context: "publish to \(subject)")))
                        return
                    }
                    batch.hold(frame) { [self] error in complete(id, .failure(error)) }
                    return
                }
                do throws(NATSError) {
                    try connection.publish(subject, headers: headers, payload: payload, replyTo: replyTo)
                } catch {
                    complete(id, .failure(error))
                }
            }
        } onCancel: {
            complete(id, .failure(NATSError(.other, message: "request cancelled")))
        }
    }

    /// Resumes the waiter of `id` once; later outcomes for the same id are ignored.
    func complete(_ id: UInt64, _ result: Result<NATSMessage, NATSError>) {
        let continuation = state.withLock { $0.pending.removeValue(forKey: id) }
        continuation?.resume(returning: result)
    }

    func shutdown() {
        let (waiters, subscription) = state.withLock { state in
            state.closed = true
            defer {
                state.pending = [:]
                state.subscription = nil
            }
            return (Array(state.pending.values), state.subscription)
        }
        subscription?.unsubscribe()
        timer.stop()
        for waiter in waiters { waiter.resume(returning: .failure(NATSError(.connectionClosed, message: "connection closed"))) }
    }

    private final class WeakBox: @unchecked Sendable {
        // Written once in RequestMux.init before the timer can fire, read-only after.
        weak var mux: RequestMux?
    }
}

extension NATSConnection {
    /// Sends a request and waits for one reply.
    ///
    /// Throws `.timeout` when no reply comes in time and `.noResponders` at once when
    /// nobody subscribes to `subject`.
    public func request(
        _ subject: String, headers: Headers? = nil, payload: some Collection<UInt8> = [], timeout: Duration,
        batch: NATSPublishBatch? = nil
    ) async throws(NATSError) -> NATSMessage {
        try await requests.request(
            connection: self, subject: subject, headers: headers, payload: payload, timeout: timeout, batch: batch
        ).get()
    }
}
