import Metrics

/// The router's metrics; per-route counters are made once per rule set, not per message.
struct RouterMetrics: Sendable {
    let unmatched = Counter(label: "fabric_router_unmatched_total")
    let rejected = Counter(label: "fabric_router_rejected_total")
    let overloaded = Counter(label: "fabric_router_overload_total")
    let storeFailures = Counter(label: "fabric_router_store_failures_total")
    let reloadSuccess = Counter(label: "fabric_router_reloads_total", dimensions: [("result", "success")])
    let reloadFailure = Counter(label: "fabric_router_reloads_total", dimensions: [("result", "failure")])
    let rules = Gauge(label: "fabric_router_rules")
    let latency = Timer(label: "fabric_router_routing_seconds")
    let storeLatency = Timer(label: "fabric_router_store_seconds")

    /// Counters of one rule.
    struct PerRoute: Sendable {
        let routed: Counter
        let forbidden: Counter

        init(_ name: String) {
            routed = Counter(label: "fabric_router_routed_total", dimensions: [("route", name)])
            forbidden = Counter(label: "fabric_router_forbidden_total", dimensions: [("route", name)])
        }
    }
}
