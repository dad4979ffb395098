/// What `fabric dlq purge` is about to remove: counted once, then removed up to the same
/// bound, so dead letters stored in between (while the prompt waits) are kept.
public struct DeadLetterPurge: Sendable, Hashable {
    /// Dead letters below `before` (of the service) when counted.
    public var count: UInt64
    /// Sequences below this go: the stream's last sequence when counted plus one, or the
    /// first entry young enough to stay with `--older-than`.
    public var before: UInt64
    /// `fabric.dlq.<service>`, or nil for every service.
    let subject: String?
}
