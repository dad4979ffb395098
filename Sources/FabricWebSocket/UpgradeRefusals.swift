import NIOCore
import Synchronization

/// Refusals decided in `shouldUpgrade`, waiting for the response writer of their connection.
///
/// hummingbird-websocket answers every refused upgrade with an empty 400 (its `.dontUpgrade`,
/// and a thrown error alike); the adapter records its own answer per channel here and
/// `RefusalWriter` puts it in place of that 400, so a client sees 401, 404 or 503 with a
/// body before any upgrade.
final class UpgradeRefusals: Sendable {
    private let pending = Mutex<[ObjectIdentifier: UpgradeRefusal]>([:])

    /// Records the refusal of `channel`'s upgrade request.
    func set(_ refusal: UpgradeRefusal, for channel: any Channel) {
        let key = ObjectIdentifier(channel)
        pending.withLock { $0[key] = refusal }
        // Forgotten with the connection, whether or not the answer was written.
        channel.closeFuture.whenComplete { [weak self] _ in _ = self?.pending.withLock { $0.removeValue(forKey: key) } }
    }

    /// Takes the refusal recorded for `channel`.
    func take(for channel: any Channel) -> UpgradeRefusal? {
        let key = ObjectIdentifier(channel)
        return pending.withLock { $0.removeValue(forKey: key) }
    }
}
