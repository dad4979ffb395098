import ServiceLifecycle

/// A service that does one thing when its group shuts down gracefully, then ends.
///
/// A group shuts its services down in reverse order, each once the one after it has ended,
/// so where a step is listed decides what it runs before and after (the adapters' drains
/// run before their listeners stop). Cancelled rather than shut down, it does nothing:
/// whatever it would wait for is cancelled too.
public struct ShutdownStep: Service {
    private let action: @Sendable () async -> Void

    /// A step that runs `action` on graceful shutdown.
    public init(_ action: @escaping @Sendable () async -> Void) {
        self.action = action
    }

    public func run() async throws {
        try? await gracefulShutdown()
        if Task.isCancelled { return }
        await action()
    }
}
