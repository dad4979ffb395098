import FabricCore
import Metrics

/// The metrics of one service's work (`fabric_delivery_*{service=…}`), made once per
/// service, not per message.
struct DeliveryMetrics: Sendable {
    let attempts: Counter
    let successes: Counter
    let retries: Counter
    let deadLettered: [DeadLetterReason: Counter]
    let dropped: [DeadLetterReason: Counter]
    let latency: Timer
    let attemptDuration: Timer
    let lag: Gauge
    let ackPending: Gauge
    let inFlight: Gauge

    init(service: String) {
        let dimensions = [("service", service)]
        attempts = Counter(label: "fabric_delivery_attempts_total", dimensions: dimensions)
        successes = Counter(label: "fabric_delivery_successes_total", dimensions: dimensions)
        retries = Counter(label: "fabric_delivery_retries_total", dimensions: dimensions)
        var deadLettered: [DeadLetterReason: Counter] = [:]
        var dropped: [DeadLetterReason: Counter] = [:]
        for reason in DeadLetterReason.allCases {
            deadLettered[reason] = Counter(
                label: "fabric_delivery_dead_lettered_total", dimensions: dimensions + [("reason", reason.rawValue)])
            dropped[reason] = Counter(
                label: "fabric_delivery_dropped_total", dimensions: dimensions + [("reason", reason.rawValue)])
        }
        self.deadLettered = deadLettered
        self.dropped = dropped
        latency = Timer(label: "fabric_delivery_latency_seconds", dimensions: dimensions)
        attemptDuration = Timer(label: "fabric_delivery_attempt_seconds", dimensions: dimensions)
        lag = Gauge(label: "fabric_delivery_consumer_lag", dimensions: dimensions)
        ackPending = Gauge(label: "fabric_delivery_ack_pending", dimensions: dimensions)
        inFlight = Gauge(label: "fabric_delivery_in_flight", dimensions: dimensions)
    }
}
