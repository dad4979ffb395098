import FabricCore
import FabricTestSupport
import Logging
import ServiceLifecycle

/// Runs one conformance case against one adapter: a fresh environment, the adapter in
/// its own service group, the case, then everything stopped.
///
/// ```swift
/// @Test(arguments: ConformanceCase.allCases, HTTPSubject.all)
/// func conformance(_ testCase: ConformanceCase, _ subject: HTTPSubject) async throws {
///     try await ConformanceSuite.run(testCase, subject)
/// }
/// ```
public enum ConformanceSuite {
    /// Runs `testCase` against `subject`; throws a `ConformanceFailure` when a check fails.
    public static func run(_ testCase: ConformanceCase, _ subject: any ConformanceSubject) async throws {
        try await ConformanceEnvironment.run(testCase.options) { environment in
            let adapter = try await subject.start(in: environment)
            let group = ServiceGroup(services: [adapter.service], logger: ConformanceEnvironment.logger)
            let stopped = OneShotSignal()
            let run = CaseRun(
                environment: environment, driver: adapter.driver, subject: subject, group: group, stopped: stopped)
            do {
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask {
                        defer { stopped.fire() }
                        try await group.run()
                    }
                    do {
                        try await adapter.driver.waitUntilReady()
                        try await run.run(testCase)
                    } catch {
                        await group.triggerGracefulShutdown()
                        environment.gate.open()
                        try? await tasks.waitForAll()
                        throw error
                    }
                    await group.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }
            } catch {
                await adapter.driver.close()
                await adapter.cleanup()
                throw error
            }
            await adapter.driver.close()
            await adapter.cleanup()
        }
    }
}
