import Metrics
import Synchronization

/// The outbox's metrics (`fabric_delivery_outbox_*`).
final class OutboxMetrics: Sendable {
    let delivered = Counter(label: "fabric_delivery_outbox_delivered_total")
    let expired = Counter(label: "fabric_delivery_outbox_expired_total")
    let rejected = Counter(label: "fabric_delivery_outbox_rejected_total")
    let timeouts = Counter(label: "fabric_delivery_outbox_timeouts_total")
    let depth = Gauge(label: "fabric_delivery_outbox_depth")
    let clients = Gauge(label: "fabric_delivery_outbox_clients")
    let fullClients = Gauge(label: "fabric_delivery_outbox_full_clients")
    let pumps = Gauge(label: "fabric_delivery_outbox_pumps")
    let connects = Counter(label: "fabric_delivery_presence_events_total", dimensions: [("event", "connect")])
    let disconnects = Counter(label: "fabric_delivery_presence_events_total", dimensions: [("event", "disconnect")])
    /// Clients with a per-client depth gauge (the deepest queues at the last measurement).
    private let ranked = Mutex<[String: Gauge]>([:])

    /// Publishes the depth of the `limit` deepest queues; clients that left the top are set to 0.
    func recordTop(_ depths: [String: UInt64], limit: Int) {
        let top = depths.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(limit)
        let chosen = Dictionary(uniqueKeysWithValues: top.map { ($0.key, $0.value) })
        ranked.withLock { gauges in
            for (client, gauge) in gauges where chosen[client] == nil {
                gauge.record(0)
                gauges.removeValue(forKey: client)
            }
            for (client, value) in chosen {
                let gauge =
                    gauges[client]
                    ?? Gauge(label: "fabric_delivery_outbox_client_depth", dimensions: [("client", client)])
                gauges[client] = gauge
                gauge.record(Int64(clamping: value))
            }
        }
    }
}
