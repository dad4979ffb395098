/// What a bounded outbound buffer does when it is full.
public enum DropPolicy: String, Sendable, Hashable, CaseIterable, Codable {
    /// Keep what is queued, drop the message that does not fit.
    case dropNewest = "drop-newest"
    /// Drop the oldest queued message to make room for the new one.
    case dropOldest = "drop-oldest"
    /// Drop the message of the lowest `Fabric-Priority` class (the newest of that class
    /// when several share it), whether it is queued or the one arriving.
    case priority
    /// Close the client's stream: it fell too far behind to be served correctly.
    case disconnect
}
