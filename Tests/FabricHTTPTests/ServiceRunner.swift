import Logging
import ServiceLifecycle

/// Runs `services` while `body` runs, then shuts them down gracefully.
func withServices<Result: Sendable>(_ services: [any Service], _ body: () async throws -> Result) async throws -> Result {
    let group = ServiceGroup(services: services, logger: Logger(label: "http-test-services"))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            let result = try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}
