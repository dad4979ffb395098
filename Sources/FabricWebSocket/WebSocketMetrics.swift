import FabricAuth
import FabricCore
import Metrics
import Synchronization

/// The adapter's metrics (`fabric_ws_*`). Labelled counters are made once and kept, so
/// the hot paths never go through the metrics factory's lock.
final class WebSocketMetrics: Sendable {
    let connections = Gauge(label: "fabric_ws_connections")
    let accepted = Counter(label: "fabric_ws_connections_total", dimensions: [("result", "accepted")])
    let framesIn = Counter(label: "fabric_ws_frames_in_total")
    let framesOut = Counter(label: "fabric_ws_frames_out_total")
    let bytesIn = Counter(label: "fabric_ws_bytes_in_total")
    let bytesOut = Counter(label: "fabric_ws_bytes_out_total")
    let inFlightGauge = Gauge(label: "fabric_ws_in_flight")
    let bufferedGauge = Gauge(label: "fabric_ws_buffered_messages")
    let errorFrames = Counter(label: "fabric_ws_error_frames_total")
    let priorityReloads = Counter(label: "fabric_ws_priority_reloads_total", dimensions: [("result", "success")])
    let priorityReloadFailures = Counter(label: "fabric_ws_priority_reloads_total", dimensions: [("result", "failure")])
    private let refusals: [String: Counter]
    private let drops: [DropPolicy: Counter]
    private let closes: [UInt16: Counter]
    private let shed: [Priority: Counter]
    private let authFailures: [String: Counter]
    private let bufferedTotal = Atomic<Int>(0)
    /// This instance's drops (the Prometheus counters are shared by every instance in a process).
    let droppedTotal = Atomic<Int>(0)
    /// Topic and user messages handed to sessions by this instance.
    let fannedOut = Atomic<Int>(0)

    /// Reasons an upgrade is refused (labels of `fabric_ws_connections_total{result}`).
    static let refusalReasons = ["unauthorized", "full", "draining", "shed", "not-found", "rejected"]

    init() {
        refusals = Dictionary(
            uniqueKeysWithValues: Self.refusalReasons.map {
                ($0, Counter(label: "fabric_ws_connections_total", dimensions: [("result", $0)]))
            })
        drops = Dictionary(
            uniqueKeysWithValues: DropPolicy.allCases.map {
                ($0, Counter(label: "fabric_ws_dropped_total", dimensions: [("reason", $0.rawValue)]))
            })
        closes = Dictionary(
            uniqueKeysWithValues: WebSocketStatusMapping.Close.allCases.map {
                ($0.code, Counter(label: "fabric_ws_closes_total", dimensions: [("code", String($0.code))]))
            })
        shed = Dictionary(
            uniqueKeysWithValues: Priority.allCases.map {
                ($0, Counter(label: "fabric_ws_shed_total", dimensions: [("class", $0.rawValue)]))
            })
        authFailures = Dictionary(
            uniqueKeysWithValues: AuthError.Code.allCases.map {
                ($0.description, Counter(label: "fabric_ws_auth_failures_total", dimensions: [("reason", $0.description)]))
            })
    }

    /// Counts an upgrade refused for `reason` (one of `refusalReasons`).
    func refused(_ reason: String) { refusals[reason]?.increment() }

    /// Counts messages a full buffer dropped under `policy`.
    func dropped(_ policy: DropPolicy, count: Int = 1) {
        drops[policy]?.increment(by: count)
        droppedTotal.add(count, ordering: .relaxed)
    }

    /// Counts a connection closed with `reason`.
    func closed(_ reason: WebSocketStatusMapping.Close) { closes[reason.code]?.increment() }

    /// Counts a message refused by load shedding.
    func shed(_ priority: Priority) { shed[priority]?.increment() }

    /// Counts a refused token.
    func authFailure(_ code: AuthError.Code) { authFailures[code.description]?.increment() }

    /// Moves the number of messages buffered across every connection by `delta`.
    func buffered(_ delta: Int) {
        let total = bufferedTotal.wrappingAdd(delta, ordering: .relaxed).newValue
        bufferedGauge.record(total)
    }

    /// Messages buffered across every connection now.
    var bufferedNow: Int { bufferedTotal.load(ordering: .relaxed) }
}
