import FabricCore

/// An adapter's answer, mapped back to the fabric's terms by the driver.
public struct ConformanceOutcome: Sendable, CustomStringConvertible {
    /// The outcome.
    public var status: Status
    /// The refusal reason word for `unauthorized` (`expired`, `unknown_key`, … — `AuthError` codes).
    public var reason: String?
    /// The body of a reply.
    public var payload: [UInt8]
    /// The correlation id the adapter returned.
    public var correlationID: String?
    /// True when the refusal was the protocol's own "too large" answer.
    public var tooLarge: Bool
    /// The protocol-level answer, for failure messages (`HTTP 413`, `gRPC 16`).
    public var detail: String

    /// Creates an outcome.
    public init(
        status: Status, reason: String? = nil, payload: [UInt8] = [], correlationID: String? = nil, tooLarge: Bool = false,
        detail: String
    ) {
        self.status = status
        self.reason = reason
        self.payload = payload
        self.correlationID = correlationID
        self.tooLarge = tooLarge
        self.detail = detail
    }

    /// The body as text.
    public var text: String { String(decoding: payload, as: UTF8.self) }

    public var description: String {
        "\(status.rawValue) (\(detail))" + (reason.map { " reason \($0)" } ?? "")
            + (payload.isEmpty ? "" : ": \(text.prefix(300))")
    }
}
