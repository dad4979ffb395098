import ArgumentParser
import FabricCore
import FabricDelivery
import FabricNATS
import FabricObservability

/// `fabric delivery`: retries, dead letters, the queues of disconnected clients; any
/// number of instances share the work.
struct DeliveryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delivery", abstract: "Run a delivery instance (at-least-once work, dead letters, client outboxes).")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let runtime = try Runtime.start(global, role: "delivery")
        let context = try await RoleContext.connect(runtime, role: "delivery")
        try await context.run([DeliveryCommand.makeDelivery(context)])
    }

    /// A delivery service on the role's connection, reporting to `/readyz`.
    static func makeDelivery(_ context: RoleContext) -> DeliveryService {
        let readiness = context.runtime.readiness
        readiness.register("delivery", reason: "looking for services")
        return DeliveryService(
            jetStream: context.jetStream, config: context.config, logger: context.logger,
            readiness: { ready, reason in
                if ready { readiness.ready("delivery") } else { readiness.notReady("delivery", reason: reason ?? "not ready") }
            })
    }
}
