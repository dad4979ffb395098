import ServiceLifecycle

/// A built adapter: the service to run, the driver, and what to release afterwards.
public struct ConformanceAdapter: Sendable {
    /// The adapter; the suite runs it in its own service group.
    public let service: any Service
    /// The client side.
    public let driver: any ConformanceDriver
    /// Releases what the subject created (its NATS connection, files).
    public let cleanup: @Sendable () async -> Void

    /// Creates the triple.
    public init(service: any Service, driver: any ConformanceDriver, cleanup: @escaping @Sendable () async -> Void = {}) {
        self.service = service
        self.driver = driver
        self.cleanup = cleanup
    }
}
