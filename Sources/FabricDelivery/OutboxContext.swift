import FabricCore
import FabricNATS
import Logging

/// What every outbox pump shares.
struct OutboxContext: Sendable {
    let jetStream: JetStream
    let settings: DeliveryConfig.Outbox
    /// Queued messages older than this are removed and counted as expired.
    let maxAge: Duration
    let metrics: OutboxMetrics
    let logger: Logger

    var connection: NATSConnection { jetStream.connection }

    /// True when a message stored at `time` (nanoseconds since the epoch) is past `maxAge`.
    func isExpired(_ time: Int64) -> Bool {
        let ageMillis = Int64(WallClock.nowMillis()) - time / 1_000_000
        return ageMillis > maxAge.milliseconds
    }
}
