import Synchronization

/// What the adapter decided about one connection's upgrade request, from the upgrader
/// (which decides) to the pipeline step that starts the session or the HTTP answer that
/// refuses it. One per connection, gone with the HTTP handlers after the upgrade.
final class UpgradeDecision: Sendable {
    private let value = Mutex<Result<WebSocketSession, UpgradeRefusal>?>(nil)

    /// Records the decision.
    func set(_ decision: Result<WebSocketSession, UpgradeRefusal>) {
        value.withLock { $0 = decision }
    }

    /// The session of an accepted upgrade.
    var session: WebSocketSession? {
        value.withLock { if case .success(let session)? = $0 { session } else { nil } }
    }

    /// The refusal of a refused one.
    var refusal: UpgradeRefusal? {
        value.withLock { if case .failure(let refusal)? = $0 { refusal } else { nil } }
    }
}
