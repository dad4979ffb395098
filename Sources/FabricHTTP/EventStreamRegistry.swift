import FabricCore
import Metrics
import Synchronization

/// The open event streams of an adapter instance: bounded in number, one session per
/// client id (a second stream takes the session over), and all closed at once when the
/// adapter drains (an open stream would otherwise hold shutdown forever).
final class EventStreamRegistry: Sendable {
    /// What `add` did.
    enum Admission {
        /// Registered; `displaced` is the stream that held the client id until now.
        case added(displaced: EventStream?)
        /// The instance is full or shutting down.
        case refused
    }

    private struct State {
        var streams: [ObjectIdentifier: EventStream] = [:]
        /// The stream holding each client id's session.
        var holders: [String: EventStream] = [:]
        var closing = false
        var emptyWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let limit: Int
    private let metrics: HTTPMetrics
    private let state = Mutex(State())

    init(limit: Int, metrics: HTTPMetrics) {
        self.limit = limit
        self.metrics = metrics
    }

    /// Registers `stream` as the holder of its client id.
    func add(_ stream: EventStream) -> Admission {
        let admitted = state.withLock { state -> (count: Int, displaced: EventStream?)? in
            guard !state.closing, state.streams.count < limit else { return nil }
            state.streams[ObjectIdentifier(stream)] = stream
            let displaced = state.holders.updateValue(stream, forKey: stream.clientID)
            return (state.streams.count, displaced)
        }
        guard let admitted else { return .refused }
        metrics.eventStreams.record(admitted.count)
        return .added(displaced: admitted.displaced)
    }

    /// Forgets `stream`.
    func remove(_ stream: EventStream) {
        let (count, waiters) = state.withLock { state -> (Int, [CheckedContinuation<Void, Never>]) in
            state.streams[ObjectIdentifier(stream)] = nil
            if state.holders[stream.clientID] === stream { state.holders[stream.clientID] = nil }
            guard state.streams.isEmpty else { return (state.streams.count, []) }
            defer { state.emptyWaiters = [] }
            return (0, state.emptyWaiters)
        }
        metrics.eventStreams.record(count)
        waiters.forEach { $0.resume() }
    }

    /// A session started somewhere (a presence connect): the stream holding an older
    /// session of its client here is taken over (`PresenceEvent.isNewer`). Returns that
    /// stream, if any.
    @discardableResult
    func sessionStarted(_ event: PresenceEvent) -> EventStream? {
        let displaced = state.withLock { state -> EventStream? in
            guard let holder = state.holders[event.client], event.isNewer(than: holder.session) else { return nil }
            state.holders[event.client] = nil
            return holder
        }
        displaced?.takeOver()
        return displaced
    }

    /// Waits until no stream is open.
    func waitUntilEmpty() async {
        await withCheckedContinuation { continuation in
            let empty = state.withLock { state -> Bool in
                if state.streams.isEmpty { return true }
                state.emptyWaiters.append(continuation)
                return false
            }
            if empty { continuation.resume() }
        }
    }

    /// Streams open now.
    var count: Int { state.withLock { $0.streams.count } }

    /// Ends every stream and refuses new ones.
    func closeAll() {
        let streams = state.withLock { state in
            state.closing = true
            return Array(state.streams.values)
        }
        for stream in streams { stream.queue.close(.shutdown) }
    }
}
