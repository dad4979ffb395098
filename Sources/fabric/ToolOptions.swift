import ArgumentParser
import FabricCore
import Foundation

/// The options of one-shot commands that talk to NATS (`fabric dlq …`, `fabric send`):
/// where NATS is and the configuration file, nothing about listeners or logs.
struct ToolOptions: ParsableArguments {
    @Option(name: .long, help: "YAML configuration file (FABRIC_<SECTION>__<KEY> variables override it).")
    var config: String?

    @Option(name: .customLong("nats-url"), help: "NATS server URL(s), comma separated; overrides nats.urls.")
    var natsURL: String?

    /// The configuration with `--nats-url` applied over file and environment.
    func loadConfig() throws -> FabricConfig {
        var environment = ProcessInfo.processInfo.environment
        if let natsURL { environment["FABRIC_NATS__URLS"] = natsURL }
        do {
            return try FabricConfig.load(file: config, environment: environment)
        } catch {
            throw ValidationFailure(message: "configuration: \(error)")
        }
    }
}
