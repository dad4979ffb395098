import Metrics
import Synchronization

/// The open event streams of an adapter instance: bounded in number, and all closed at
/// once when the adapter drains (an open stream would otherwise hold shutdown forever).
final class EventStreamRegistry: Sendable {
    private struct State {
        var streams: [ObjectIdentifier: EventStream] = [:]
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

    /// Registers `stream`; false when the instance is full or shutting down.
    func add(_ stream: EventStream) -> Bool {
        let count = state.withLock { state -> Int? in
            guard !state.closing, state.streams.count < limit else { return nil }
            state.streams[ObjectIdentifier(stream)] = stream
            return state.streams.count
        }
        guard let count else { return false }
        metrics.eventStreams.record(count)
        return true
    }

    /// Forgets `stream`.
    func remove(_ stream: EventStream) {
        let (count, waiters) = state.withLock { state -> (Int, [CheckedContinuation<Void, Never>]) in
            state.streams[ObjectIdentifier(stream)] = nil
            guard state.streams.isEmpty else { return (state.streams.count, []) }
            defer { state.emptyWaiters = [] }
            return (0, state.emptyWaiters)
        }
        metrics.eventStreams.record(count)
        waiters.forEach { $0.resume() }
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
