import FabricCore
import ServiceLifecycle

/// An adapter under test: how to start it against an environment, and a driver for it.
///
/// A protocol's tests provide one per client flavour (HTTP/1.1, HTTP/2, …).
public protocol ConformanceSubject: Sendable, CustomStringConvertible {
    /// The `Fabric-Source` its messages carry (`http`, `h2`, `ws`, …).
    var source: Source { get }
    /// Builds the adapter for `environment` (not yet running) and a driver for it.
    func start(in environment: ConformanceEnvironment) async throws -> ConformanceAdapter
}

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
