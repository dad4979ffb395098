import FabricCore
import Logging
import Metrics
import Prometheus

/// Process-wide logging and metrics setup; only the executable calls it, once.
public enum ObservabilityBootstrap {
    /// Installs the log handler the `log:` section asks for.
    public static func bootstrapLogging(_ config: LogConfig) {
        let level = Logger.Level(rawValue: config.level.rawValue) ?? .info
        switch config.format {
        case .text:
            LoggingSystem.bootstrap { label in TextLogHandler(label: label, level: level) }
        case .json:
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        }
    }

    /// Installs a Prometheus registry as the swift-metrics backend and returns it.
    public static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Fabric latencies live between tens of microseconds and seconds.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }
}
