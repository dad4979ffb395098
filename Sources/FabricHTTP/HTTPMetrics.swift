import FabricAuth
import FabricCore
import Metrics
import Synchronization

/// The adapter's metrics. Labelled counters are made once per label set and kept, so the
/// request path does not go through the metrics factory's lock for each request.
final class HTTPMetrics: Sendable {
    let inFlight = Gauge(label: "fabric_http_in_flight")
    let eventStreams = Gauge(label: "fabric_http_event_streams")
    let eventsDropped = Counter(label: "fabric_http_events_dropped_total")
    let eventsSent = Counter(label: "fabric_http_events_sent_total")
    let cacheHits = Counter(label: "fabric_http_cache_total", dimensions: [("result", "hit")])
    let cacheMisses = Counter(label: "fabric_http_cache_total", dimensions: [("result", "miss")])
    let cacheCoalesced = Counter(label: "fabric_http_cache_total", dimensions: [("result", "coalesced")])
    let cacheStores = Counter(label: "fabric_http_cache_total", dimensions: [("result", "stored")])
    let priorityReloads = Counter(label: "fabric_http_priority_reloads_total", dimensions: [("result", "success")])
    let priorityReloadFailures = Counter(label: "fabric_http_priority_reloads_total", dimensions: [("result", "failure")])
    let priorityWatchRestarts = Counter(label: "fabric_http_priority_watch_restarts_total")
    private let shed: [Priority: Counter]
    private let authFailures: [String: Counter]
    private let requests = Mutex<[RequestLabels: Counter]>([:])
    private let latency = Mutex<[String: Timer]>([:])

    /// The labels of `fabric_http_requests_total`.
    struct RequestLabels: Hashable {
        let route: String
        let status: Int
        let protocolVersion: String
    }

    init() {
        var shed: [Priority: Counter] = [:]
        for priority in Priority.allCases {
            shed[priority] = Counter(label: "fabric_http_shed_total", dimensions: [("class", priority.rawValue)])
        }
        self.shed = shed
        var authFailures: [String: Counter] = [:]
        for code in AuthError.Code.allCases {
            authFailures[code.description] = Counter(
                label: "fabric_http_auth_failures_total", dimensions: [("reason", code.description)])
        }
        self.authFailures = authFailures
    }

    /// Counts a finished request and records its latency.
    func request(route: String, status: Int, protocolVersion: String, duration: Duration) {
        let labels = RequestLabels(route: route, status: status, protocolVersion: protocolVersion)
        let counter = requests.withLock { counters in
            if let counter = counters[labels] { return counter }
            let counter = Counter(
                label: "fabric_http_requests_total",
                dimensions: [("route", route), ("status", String(status)), ("protocol", protocolVersion)])
            counters[labels] = counter
            return counter
        }
        counter.increment()
        let timer = latency.withLock { timers in
            if let timer = timers[route] { return timer }
            let timer = Timer(label: "fabric_http_request_duration_seconds", dimensions: [("route", route)])
            timers[route] = timer
            return timer
        }
        let (seconds, attoseconds) = duration.components
        timer.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// Counts a request refused by load shedding.
    func shed(_ priority: Priority) { shed[priority]?.increment() }

    /// Counts a refused token.
    func authFailure(_ code: AuthError.Code) { authFailures[code.description]?.increment() }
}
