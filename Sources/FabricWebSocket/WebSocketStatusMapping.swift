import FabricCore
import HTTPTypes
import NIOWebSocket

/// The WebSocket ↔ `Fabric-Status` mapping and every close code the adapter uses, in one
/// table; `docs/envelope.md` (WebSocket column) and `docs/websocket.md` mirror it.
///
/// Inside a session a fabric outcome is a frame's `status` field (the status word itself);
/// the connection stays open. What ends a connection is a close code (RFC 6455 §7.4);
/// what refuses one before the upgrade is an HTTP status.
public enum WebSocketStatusMapping {
    /// Why the adapter closes a connection.
    public enum Close: String, Sendable, CaseIterable {
        /// The client closed, or the session ended normally.
        case normal
        /// The adapter is shutting down (after flushing), or the client stopped answering pings.
        case goingAway = "going-away"
        /// A frame that breaks the WebSocket protocol.
        case protocolError = "protocol-error"
        /// A text message that is not UTF-8.
        case invalidData = "invalid-data"
        /// The token expired during the session and was not renewed with `refresh`.
        case tokenExpired = "token-expired"
        /// A frame, message or payload over the limit.
        case tooLarge = "too-large"
        /// An unexpected failure in the adapter.
        case internalError = "internal-error"
        /// The client does not read fast enough (`disconnect` policy), or a raw-mode message was shed.
        case overloaded
        /// Another connection with the same client id took the session over.
        case takenOver = "taken-over"

        /// The RFC 6455 close code.
        public var code: UInt16 {
            switch self {
            case .normal: 1000
            case .goingAway: 1001
            case .protocolError: 1002
            case .invalidData: 1007
            case .tokenExpired: 1008
            case .tooLarge: 1009
            case .internalError: 1011
            case .overloaded: 1013
            // 4000–4999 are for applications (RFC 6455 §7.4.2): no standard code says "replaced".
            case .takenOver: 4001
            }
        }

        /// The code as NIO's type.
        var errorCode: WebSocketErrorCode { WebSocketErrorCode(codeNumber: Int(code)) }
    }

    /// One row of the table: a fabric outcome inside a session.
    public struct Row: Sendable {
        /// The fabric outcome.
        public let status: Status
        /// The frame's `status` field.
        public let frameStatus: String
        /// The HTTP status that refuses the upgrade for this outcome, when it can happen before one.
        public let upgradeRefusal: HTTPResponse.Status?
        /// The close code when the outcome ends a running session.
        public let close: Close?
    }

    /// The table: every `Status` exactly once.
    public static let table: [Row] = [
        Row(status: .ok, frameStatus: "ok", upgradeRefusal: nil, close: nil),
        Row(status: .retry, frameStatus: "retry", upgradeRefusal: nil, close: nil),
        Row(status: .error, frameStatus: "error", upgradeRefusal: nil, close: nil),
        Row(status: .timeout, frameStatus: "timeout", upgradeRefusal: nil, close: nil),
        Row(status: .rejected, frameStatus: "rejected", upgradeRefusal: .badRequest, close: nil),
        Row(status: .unavailable, frameStatus: "unavailable", upgradeRefusal: .serviceUnavailable, close: nil),
        Row(status: .notFound, frameStatus: "not-found", upgradeRefusal: .notFound, close: nil),
        Row(status: .unauthorized, frameStatus: "unauthorized", upgradeRefusal: .unauthorized, close: .tokenExpired),
        Row(status: .forbidden, frameStatus: "forbidden", upgradeRefusal: .forbidden, close: nil),
    ]

    private static let byStatus: [Status: Row] = Dictionary(uniqueKeysWithValues: table.map { ($0.status, $0) })

    /// The row of `status`.
    public static func row(for status: Status) -> Row {
        byStatus[status] ?? Row(status: status, frameStatus: status.rawValue, upgradeRefusal: nil, close: nil)
    }

    /// The fabric outcome a close code stands for (what a client reads from a closed connection).
    public static func status(forClose code: UInt16) -> Status {
        switch code {
        case 1000: .ok
        case 1008: .unauthorized
        case 1002, 1003, 1007, 1009: .rejected
        case 1001, 1013, 4001: .unavailable
        default: .error
        }
    }

    /// The fabric outcome an HTTP refusal of the upgrade stands for.
    public static func status(forUpgradeRefusal code: Int) -> Status {
        switch code {
        case 401: .unauthorized
        case 403: .forbidden
        case 404: .notFound
        case 429, 503: .unavailable
        case 400..<500: .rejected
        default: .error
        }
    }
}
