import FabricCore

/// Why a client frame was refused; answered with an `error` (or `nack`/`response`) frame,
/// and the connection stays open.
struct FrameError: Error, Sendable {
    /// The machine-readable code (`invalid-json`, `unknown-op`, `forbidden`, …).
    let code: String
    /// The fabric status of the refusal.
    let status: Status
    /// What was wrong, for people.
    let message: String

    init(_ code: String, _ message: String, status: Status = .rejected) {
        self.code = code
        self.status = status
        self.message = message
    }
}
