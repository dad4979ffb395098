import ArgumentParser

/// `fabric adapter http|ws|grpc|mqtt`: one protocol adapter per process, scaled on its own.
struct AdapterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adapter", abstract: "Run a protocol adapter.",
        subcommands: [HTTPAdapterCommand.self, WebSocketAdapterCommand.self])
}
