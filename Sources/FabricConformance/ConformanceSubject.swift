import FabricCore

/// An adapter under test: how to start it against an environment, and a driver for it.
///
/// A protocol's tests provide one per client flavour (HTTP/1.1, HTTP/2, …).
public protocol ConformanceSubject: Sendable, CustomStringConvertible {
    /// The `Fabric-Source` its messages carry (`http`, `h2`, `ws`, …).
    var source: Source { get }
    /// Builds the adapter for `environment` (not yet running) and a driver for it.
    func start(in environment: ConformanceEnvironment) async throws -> ConformanceAdapter
}
