import ArgumentParser

/// Port option of the WebSocket adapter, shared by `fabric adapter ws` and `fabric up`.
struct WebSocketPortOptions: ParsableArguments {
    @Option(name: .customLong("ws-port"), parsing: .unconditional, help: "WebSocket port (0 = any free port, -1 = off).")
    var wsPort: Int?

    /// The option as a configuration override.
    var overrides: [String: String] {
        wsPort.map { ["FABRIC_WS__PORT": String($0)] } ?? [:]
    }
}
