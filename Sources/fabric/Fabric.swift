import ArgumentParser

/// The one executable: every role of the fabric is a subcommand.
@main
struct Fabric: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fabric",
        abstract: "A multi-protocol edge fabric over NATS.",
        version: FabricVersion.string,
        subcommands: [
            UpCommand.self, AdapterCommand.self, RouterCommand.self, DeliveryCommand.self, DLQCommand.self, SendCommand.self,
            RoutesCommand.self, ExampleCommand.self, TokenCommand.self, BenchCommand.self,
            VersionCommand.self,
        ]
    )
}
