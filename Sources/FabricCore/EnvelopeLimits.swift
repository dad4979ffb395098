/// Limits an envelope must respect; checked on decode and by adapters on the way in.
public struct EnvelopeLimits: Sendable, Hashable {
    /// Most header fields.
    public var maxHeaderCount: Int
    /// Longest single header value, in bytes.
    public var maxHeaderValueBytes: Int
    /// All names and values together, in bytes.
    public var maxHeaderBytes: Int
    /// Largest payload, in bytes (NATS's default `max_payload` is 1 MiB and covers headers too).
    public var maxPayloadBytes: Int

    /// Creates limits.
    public init(
        maxHeaderCount: Int = 64, maxHeaderValueBytes: Int = 4096, maxHeaderBytes: Int = 16384, maxPayloadBytes: Int = 1_048_576
    ) {
        self.maxHeaderCount = maxHeaderCount
        self.maxHeaderValueBytes = maxHeaderValueBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxPayloadBytes = maxPayloadBytes
    }

    /// The defaults.
    public static let standard = EnvelopeLimits()
}
