import FabricCore

/// How the conformance suite talks to one adapter through its protocol.
///
/// Each protocol's tests implement this once (a few dozen lines over a real client);
/// the suite's cases are written against it and never against a protocol. A driver maps
/// its protocol's answer back to a `Status` (HTTP 413 → `rejected` + `tooLarge`, gRPC
/// `UNAUTHENTICATED` → `unauthorized`, …) following that protocol's row of the status
/// table in `docs/envelope.md`.
public protocol ConformanceDriver: Sendable {
    /// Waits until the adapter accepts clients (its listener is bound).
    func waitUntilReady() async throws
    /// Publishes `message`: returns once the adapter answered (ack or refusal).
    func publish(_ message: ConformanceMessage) async throws -> ConformanceOutcome
    /// Sends `message` as a request and returns the reply (or the refusal).
    func request(_ message: ConformanceMessage) async throws -> ConformanceOutcome
    /// Releases the driver's connections.
    func close() async
}
