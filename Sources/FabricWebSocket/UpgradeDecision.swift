import Synchronization

/// What the adapter decided about one connection's upgrade request, from the upgrader
/// (which decides) to the pipeline step that starts the session or the HTTP answer that
/// refuses it. One per connection, gone with the HTTP handlers after the upgrade.
final class UpgradeDecision: Sendable {
    private let value = Mutex<(started: Bool, result: Result<WebSocketSession, UpgradeRefusal>?)>((false, nil))
    private let halfClosed = Mutex(false)

    /// The client closed its sending side while the decision was being made: an accepted
    /// upgrade is not carried out (the connection could never answer a ping or a close).
    var clientHalfClosed: Bool {
        get { halfClosed.withLock { $0 } }
        set { halfClosed.withLock { $0 = newValue } }
    }

    /// Marks the decision as being made; false when it already was (a request naming
    /// `websocket` twice in `Upgrade` is decided once).
    func begin() -> Bool {
        value.withLock { state in
            defer { state.started = true }
            return !state.started
        }
    }

    /// Records the decision.
    func set(_ decision: Result<WebSocketSession, UpgradeRefusal>) {
        value.withLock { $0.result = decision }
    }

    /// True while the decision is being made, or once the upgrade was accepted: the
    /// connection is on its way to being a session.
    var isPending: Bool {
        value.withLock { state in
            switch state.result {
            case nil: state.started
            case .success?: true
            case .failure?: false
            }
        }
    }

    /// The session of an accepted upgrade.
    var session: WebSocketSession? {
        value.withLock { if case .success(let session)? = $0.result { session } else { nil } }
    }

    /// The refusal of a refused one.
    var refusal: UpgradeRefusal? {
        value.withLock { if case .failure(let refusal)? = $0.result { refusal } else { nil } }
    }
}
