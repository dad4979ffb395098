import FabricObservability
import Prometheus

/// One Prometheus registry for the whole test process, installed before any adapter makes
/// its metrics (swift-metrics can be bootstrapped once per process).
enum TestMetrics {
    static let registry: PrometheusCollectorRegistry = ObservabilityBootstrap.bootstrapMetrics()

    /// The value of the sample line that starts with `prefix` (name and labels), or 0.
    static func value(_ prefix: String) -> Double {
        for line in registry.emitToString().split(separator: "\n") where line.hasPrefix(prefix) {
            if let value = line.split(separator: " ").last.flatMap({ Double($0) }) { return value }
        }
        return 0
    }
}
