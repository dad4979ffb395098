import ArgumentParser
import FabricCore
import FabricNATS
import FabricRouter
import Logging

/// `fabric router`: the stateless router, any number of instances in one queue group.
struct RouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "router", abstract: "Run a router (rules from the fabric-config bucket, or --routes FILE).")

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("routes"), help: "Read rules from this YAML file (watched) instead of the KV bucket.")
    var routesFile: String?

    func run() async throws {
        let runtime = try Runtime.start(global, role: "router")
        let context = try await RoleContext.connect(runtime, role: "router")
        let router = try await RouterCommand.makeRouter(context, file: routesFile)
        try await context.run([router])
    }

    /// A router reading `file` when given, else the configured source.
    static func makeRouter(_ context: RoleContext, file: String?) async throws -> RouterService {
        let config = context.config.router
        let source: any RouteSource
        if let file = file ?? (config.source == .file ? config.file : nil) {
            source = FileRouteSource(path: file, interval: config.pollInterval)
        } else {
            source = KeyValueRouteSource(bucket: try await context.configBucket())
        }
        context.logger.info("router reads rules", metadata: ["from": "\(source.description)"])
        return RouterService(
            connection: context.connection, jetStream: context.jetStream, source: source, config: config,
            readiness: context.runtime.readiness, logger: context.logger)
    }
}
