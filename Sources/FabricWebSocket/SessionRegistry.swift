import FabricCore
import Metrics
import Synchronization

/// The connections of one adapter instance: how many are open (the limit is checked
/// before the upgrade), which session holds which client id (a second connection takes
/// the session over), and the drain (refuse new ones, wait for the open ones to end).
final class SessionRegistry: Sendable {
    /// Why a new connection is refused before the upgrade.
    enum Refusal: Sendable, Equatable {
        /// `max_connections` are open.
        case full
        /// The adapter is shutting down.
        case draining
    }

    private struct State {
        var connections = 0
        var byClient: [String: WebSocketSession] = [:]
        var sessions: [ObjectIdentifier: WebSocketSession] = [:]
        var draining = false
        var emptyWaiters: [@Sendable () -> Void] = []
    }

    private let limit: Int
    private let metrics: WebSocketMetrics
    private let state = Mutex(State())

    init(limit: Int, metrics: WebSocketMetrics) {
        self.limit = limit
        self.metrics = metrics
    }

    /// Takes a connection slot; nil when there is room, else why not. Give it back with
    /// `release()` when the TCP connection closes, whatever happened in between.
    func reserve() -> Refusal? {
        let (refusal, open) = state.withLock { state -> (Refusal?, Int) in
            if state.draining { return (.draining, state.connections) }
            guard state.connections < limit else { return (.full, state.connections) }
            state.connections += 1
            return (nil, state.connections)
        }
        if refusal == nil { metrics.connections.record(open) }
        return refusal
    }

    /// Gives back a slot taken by `reserve()`.
    func release() {
        let (open, waiters) = state.withLock { state -> (Int, [@Sendable () -> Void]) in
            state.connections -= 1
            guard state.connections == 0 else { return (state.connections, []) }
            defer { state.emptyWaiters = [] }
            return (0, state.emptyWaiters)
        }
        metrics.connections.record(open)
        waiters.forEach { $0() }
    }

    /// Open connections (upgraded or upgrading).
    var count: Int { state.withLock { $0.connections } }

    /// Registers `session` as the holder of its client id; returns the session it takes over,
    /// and whether a drain has begun (under the same lock: a session claimed after
    /// `beginDrain` is not among the ones it returned, so it must close itself).
    func claim(_ session: WebSocketSession) -> (previous: WebSocketSession?, draining: Bool) {
        state.withLock { state in
            state.sessions[ObjectIdentifier(session)] = session
            let previous = state.byClient[session.clientID]
            state.byClient[session.clientID] = session
            return (previous, state.draining)
        }
    }

    /// Forgets `session` (its client id stays with a session that took it over).
    func remove(_ session: WebSocketSession) {
        state.withLock { state in
            state.sessions[ObjectIdentifier(session)] = nil
            if state.byClient[session.clientID] === session { state.byClient[session.clientID] = nil }
        }
    }

    /// The session holding `clientID` here.
    func session(holding clientID: String) -> WebSocketSession? {
        state.withLock { $0.byClient[clientID] }
    }

    /// Every running session.
    var sessions: [WebSocketSession] { state.withLock { Array($0.sessions.values) } }

    /// Refuses new connections from now on; returns the running sessions.
    func beginDrain() -> [WebSocketSession] {
        state.withLock { state in
            state.draining = true
            return Array(state.sessions.values)
        }
    }

    /// Returns once no connection is open, or after `limit`.
    func waitUntilEmpty(atMost limit: Duration) async {
        _ = await waitAtMost(limit) { resume in
            let empty = state.withLock { state -> Bool in
                if state.connections == 0 { return true }
                state.emptyWaiters.append(resume)
                return false
            }
            if empty { resume() }
        }
    }
}
