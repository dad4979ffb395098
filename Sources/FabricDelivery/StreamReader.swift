import FabricCore
import FabricNATS
import Synchronization

/// Reads a stream in order through an ephemeral consumer without acks (headers only when
/// asked), handing each message to a synchronous visitor on nats.c's delivery thread:
/// no copy of what the visitor does not read, so 100,000 dead letters are counted in
/// well under a second.
///
/// The read ends at a message the consumer says is the last (`pending == 0`), or when
/// the consumer has nothing more to give: entries removed while the read runs (a purge,
/// a replay) can take the last one away, so a pull request that expires unfilled is
/// followed by a direct get of the next entry after the last one seen; when there is
/// none, the read is done.
struct StreamReader: Sendable {
    let jetStream: JetStream
    /// Messages asked for per pull request; two requests are kept open.
    var batch = 2000
    /// Lifetime of a pull request: how long a read waits before it looks whether the
    /// stream has anything left (only when entries vanished while reading).
    var expires: Duration = .seconds(5)

    private final class Run: Sendable {
        struct State {
            var seen = 0
            var done = false
            var subscription: PullSubscription?
            /// The highest stream sequence seen.
            var last: UInt64 = 0
            /// A look for entries after `last` is under way.
            var checking = false
            var continuation: CheckedContinuation<Result<Void, NATSError>, Never>?
            var result: Result<Void, NATSError>?
        }
        let state = Mutex(State())

        func finish(_ result: Result<Void, NATSError>) {
            let continuation = state.withLock { state -> CheckedContinuation<Result<Void, NATSError>, Never>? in
                guard !state.done else { return nil }
                state.done = true
                state.result = result
                defer { state.continuation = nil }
                return state.continuation
            }
            continuation?.resume(returning: result)
        }

        /// Asks for another batch through the subscription (the handler belongs to it).
        func askMore(batch: Int, expires: Duration) {
            guard let subscription = state.withLock({ $0.subscription }) else { return }
            do throws(NATSError) {
                try subscription.pull(batch: batch, expires: expires)
            } catch {
                finish(.failure(error))
            }
        }

        /// After a request expired unfilled: looks, once at a time, for an entry after the
        /// last one seen. None means they were removed meanwhile and the read is done;
        /// otherwise it asks again. (The consumer's own pending count does not drop when
        /// entries are deleted, and nats-server 2.9 holds a `no_wait` pull open while it
        /// believes some remain, so the consumer cannot answer this itself.)
        func checkForMore(jetStream: JetStream, stream: String, subject: String?, batch: Int, expires: Duration) {
            let after = state.withLock { state -> UInt64? in
                guard !state.checking, !state.done else { return nil }
                state.checking = true
                return state.last
            }
            guard let after else { return }
            Task {
                do throws(NATSError) {
                    let next = try await jetStream.directGet(stream: stream, .next(subject: subject ?? ">", from: after + 1))
                    state.withLock { $0.checking = false }
                    if next == nil { finish(.success(())) } else { askMore(batch: batch, expires: expires) }
                } catch {
                    finish(.failure(error))
                }
            }
        }

        func wait() async -> Result<Void, NATSError> {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Result<Void, NATSError>? in
                    if let result = state.result { return result }
                    state.continuation = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }

    /// Visits the messages of `subject` (all when nil) from `start` on, until the visitor
    /// returns false or the consumer has nothing more (the stream's end when the read
    /// began); returns how many messages the read had ahead of it.
    @discardableResult
    func read(
        stream: String, subject: String?, from start: JetStream.StartPosition, headersOnly: Bool,
        visit: @escaping @Sendable (borrowing NATSMessageView, JetStreamMetadata) -> Bool
    ) async throws(NATSError) -> UInt64 {
        let reader = try await jetStream.createReader(stream: stream, subject: subject, start: start, headersOnly: headersOnly)
        guard reader.pending > 0 else {
            try? await jetStream.removeConsumer(stream: stream, name: reader.name)
            return 0
        }
        let run = Run()
        let batch = self.batch
        let expires = self.expires
        let subscription: PullSubscription
        do throws(NATSError) {
            subscription = try PullSubscription(connection: jetStream.connection, stream: stream, consumer: reader.name) {
                message, signal in
                switch signal {
                case .message(let metadata):
                    let (done, askMore) = run.state.withLock { state -> (Bool, Bool) in
                        guard !state.done else { return (true, false) }
                        state.seen += 1
                        state.last = max(state.last, metadata.streamSequence)
                        return (false, state.seen % batch == 0)
                    }
                    if done { return }
                    if !visit(message, metadata) || metadata.pending == 0 {
                        run.finish(.success(()))
                    } else if askMore {
                        run.askMore(batch: batch, expires: expires)
                    }
                case .status(let code, _, let description, _):
                    switch code {
                    case 100:
                        return
                    case 404:
                        // Nothing left for the consumer.
                        run.finish(.success(()))
                    case 408:
                        // A request expired unfilled although the last message seen said
                        // more would come: they may have been removed meanwhile.
                        run.checkForMore(jetStream: jetStream, stream: stream, subject: subject, batch: batch, expires: expires)
                    default:
                        run.finish(
                            .failure(NATSError(.jetStream, status: "\(code)", message: "reading \(stream): \(description)")))
                    }
                }
            }
            run.state.withLock { $0.subscription = subscription }
            try subscription.pull(batch: batch, expires: expires)
            try subscription.pull(batch: batch, expires: expires)
        } catch {
            try? await jetStream.removeConsumer(stream: stream, name: reader.name)
            throw error
        }
        let result = await run.wait()
        subscription.stop()
        run.state.withLock { $0.subscription = nil }
        try? await jetStream.removeConsumer(stream: stream, name: reader.name)
        try result.get()
        return reader.pending
    }
}
