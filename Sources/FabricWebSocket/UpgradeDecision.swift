import Synchronization

/// What the adapter decided about one connection's upgrade request, from the upgrader
/// (which decides) to the pipeline step that starts the session or the HTTP answer that
/// refuses it. One per connection, gone with the HTTP handlers after the upgrade.
final class UpgradeDecision: Sendable {
    private struct State {
        var started = false
        var result: Result<WebSocketSession, UpgradeRefusal>?
        var clientHalfClosed = false
    }

    private let state = Mutex(State())

    /// Marks the decision as being made; false when it already was (a request naming
    /// `websocket` twice in `Upgrade` is decided once).
    func begin() -> Bool {
        state.withLock { state in
            defer { state.started = true }
            return !state.started
        }
    }

    /// Records the decision.
    func set(_ decision: Result<WebSocketSession, UpgradeRefusal>) {
        state.withLock { $0.result = decision }
    }

    /// The client closed its sending side while the decision was being made: an accepted
    /// upgrade is not carried out (the connection could never answer a ping or a close).
    func clientHalfClosed() {
        state.withLock { $0.clientHalfClosed = true }
    }

    /// True while the decision is being made, or once the upgrade was accepted: the
    /// connection is on its way to being a session.
    var isPending: Bool {
        state.withLock { state in
            switch state.result {
            case nil: state.started
            case .success?: true
            case .failure?: false
            }
        }
    }

    /// The session to start: the accepted upgrade's, unless the client half-closed meanwhile.
    var sessionToStart: WebSocketSession? {
        state.withLock { state in
            guard !state.clientHalfClosed, case .success(let session)? = state.result else { return nil }
            return session
        }
    }

    /// The refusal of a refused upgrade.
    var refusal: UpgradeRefusal? {
        state.withLock { if case .failure(let refusal)? = $0.result { refusal } else { nil } }
    }
}
