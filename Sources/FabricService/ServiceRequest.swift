import FabricCore
import Foundation

/// One message handed to a backend handler: the envelope (claims, headers, payload) and
/// what the fabric knows about this delivery.
public struct ServiceRequest: Sendable {
    /// The envelope as it arrived.
    public let envelope: Envelope
    /// Subject it arrived on (`fabric.svc.<service>[.<n>]`).
    public let subject: String
    /// Whether someone waits for the answer.
    public let expectsReply: Bool

    /// Message type.
    public var type: String { envelope.type }
    /// Verified claims of the sender, if any.
    public var claims: Claims? { envelope.claims }
    /// Body bytes.
    public var payload: [UInt8] { envelope.payload }
    /// Body as UTF-8 text.
    public var text: String { String(decoding: envelope.payload, as: UTF8.self) }
    /// Attempt number when delivered at least once (1-based), nil for at-most-once.
    public var attempt: Int? { envelope.attempt }
    /// True for an at-least-once attempt (answer ok, retry or error).
    public var isAtLeastOnce: Bool { envelope.delivery == .atLeastOnce }
    /// Partition, when the route is partitioned.
    public var partition: Int? { envelope.partition }

    /// The payload decoded from JSON.
    public func decode<Value: Decodable>(_ type: Value.Type = Value.self) throws -> Value {
        try JSONDecoder().decode(Value.self, from: Data(envelope.payload))
    }
}
