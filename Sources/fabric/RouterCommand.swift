import ArgumentParser
import FabricCore
import FabricNATS
import FabricRouter
import Foundation
import Logging
import Synchronization

/// `fabric router`: the stateless router, any number of instances in one queue group.
struct RouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "router", abstract: "Run a router (rules from the fabric-config bucket, or --routes FILE).")

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("routes"), help: "Read rules from this YAML file (watched) instead of the KV bucket.")
    var routesFile: String?

    func run() async throws {
        let runtime = try Runtime.start(global, role: "router")
        let context = try await RoleContext.connect(
            runtime, role: "router", batchWhenBusy: runtime.config.router.batchWhenBusy)
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
            readiness: context.runtime.readiness, logger: context.logger, afterStore: crashHook(context.logger))
    }

    /// `FABRIC_TEST_CRASH_AFTER_STORE=N`: the process kills itself with SIGKILL right
    /// after its N-th stored message, before answering it, so tests can prove that a
    /// publisher's retry with the same id stores one copy. Not for production.
    static func crashHook(_ logger: Logger) -> (@Sendable () -> Void)? {
        guard let text = ProcessInfo.processInfo.environment["FABRIC_TEST_CRASH_AFTER_STORE"], let limit = Int(text),
            limit > 0
        else { return nil }
        logger.warning("test hook: this router kills itself after store \(limit)")
        let stores = Atomic<Int>(0)
        return {
            if stores.add(1, ordering: .relaxed).newValue == limit {
                FileHandle.standardError.write(Data("crash hook: SIGKILL after store \(limit)\n".utf8))
                kill(getpid(), SIGKILL)
            }
        }
    }
}
