import ArgumentParser

/// Port options of the HTTP adapter, shared by `fabric adapter http` and `fabric up`.
struct HTTPPortOptions: ParsableArguments {
    @Option(
        name: .customLong("http-port"), parsing: .unconditional, help: "Cleartext HTTP/1.1 port (0 = any free port, -1 = off).")
    var httpPort: Int?

    @Option(
        name: .customLong("h2c-port"), parsing: .unconditional,
        help: "Cleartext HTTP/2 (prior knowledge) port (0 = any free port, -1 = off).")
    var h2cPort: Int?

    /// The options as configuration overrides.
    var overrides: [String: String] {
        var result: [String: String] = [:]
        if let httpPort { result["FABRIC_HTTP__PORT"] = String(httpPort) }
        if let h2cPort { result["FABRIC_HTTP__H2C_PORT"] = String(h2cPort) }
        return result
    }
}
