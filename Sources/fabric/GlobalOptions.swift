import ArgumentParser
import FabricCore
import FabricObservability
import Foundation
import Logging
import Prometheus

/// Options every long-running role and every NATS-talking command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "YAML configuration file (FABRIC_<SECTION>__<KEY> variables override it).")
    var config: String?

    @Option(name: .customLong("nats-url"), help: "NATS server URL(s), comma separated; overrides nats.urls.")
    var natsURL: String?

    @Option(name: .customLong("admin-port"), help: "Admin port for /metrics, /healthz, /readyz (0 = any free port).")
    var adminPort: Int?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "text or json.")
    var logFormat: String?

    /// The configuration with command-line options applied over file and environment;
    /// `overrides` are a command's own options, as `FABRIC_*` variables.
    func loadConfig(overrides: [String: String] = [:]) throws -> FabricConfig {
        var environment = ProcessInfo.processInfo.environment
        environment.merge(overrides) { $1 }
        // Command-line options win over the environment, which wins over the file.
        if let natsURL { environment["FABRIC_NATS__URLS"] = natsURL }
        if let adminPort { environment["FABRIC_ADMIN__PORT"] = String(adminPort) }
        if let logLevel { environment["FABRIC_LOG__LEVEL"] = logLevel }
        if let logFormat { environment["FABRIC_LOG__FORMAT"] = logFormat }
        do {
            return try FabricConfig.load(file: config, environment: environment)
        } catch {
            throw ValidationFailure(message: "configuration: \(error)")
        }
    }
}

/// Loaded configuration plus the observability it set up.
struct Runtime {
    let config: FabricConfig
    let registry: PrometheusCollectorRegistry
    let readiness: Readiness
    let logger: Logger

    /// Loads the configuration and bootstraps logging and metrics (once per process).
    static func start(_ options: GlobalOptions, role: String, overrides: [String: String] = [:]) throws -> Runtime {
        let config = try options.loadConfig(overrides: overrides)
        ObservabilityBootstrap.bootstrapLogging(config.log)
        let registry = ObservabilityBootstrap.bootstrapMetrics()
        var logger = Logger(label: "fabric.\(role)")
        logger[metadataKey: "instance"] = "\(config.instance)"
        return Runtime(config: config, registry: registry, readiness: Readiness(), logger: logger)
    }
}

/// A failure that ends a command with a message and exit status 2, no stack of causes.
struct ValidationFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
