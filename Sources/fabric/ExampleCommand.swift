import ArgumentParser
import FabricExamples
import FabricService

/// `fabric example echo|alerts`: run an example backend on its own.
struct ExampleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example", abstract: "Run an example backend (echo, alerts, flaky).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "echo, alerts or flaky")
    var name: String

    @Option(name: .customLong("service"), help: "Service name (default: the example's name).")
    var serviceName: String?

    func run() async throws {
        let runtime = try Runtime.start(global, role: "example-\(name)")
        // The examples acknowledge no JetStream message: their answers can batch while busy.
        let context = try await RoleContext.connect(runtime, role: "example-\(name)", batchWhenBusy: true)
        try await context.run([try ExampleCommand.backend(name, context, serviceName: serviceName)])
    }

    static func backend(_ name: String, _ context: RoleContext, serviceName: String? = nil) throws -> FabricService {
        switch name {
        case "echo":
            return EchoBackend.make(connection: context.connection, jetStream: context.jetStream, name: serviceName ?? "echo")
        case "alerts": return try AlertsBackend.make(connection: context.connection, jetStream: context.jetStream)
        case "flaky":
            return FlakyBackend.make(connection: context.connection, jetStream: context.jetStream, name: serviceName ?? "flaky")
        default: throw ValidationFailure(message: "unknown example '\(name)' (echo, alerts, flaky)")
        }
    }
}
