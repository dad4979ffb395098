import FabricCore
import HTTPTypes

/// The HTTP ↔ `Fabric-Status` mapping, in one table; `docs/envelope.md` mirrors it.
///
/// Outbound (a fabric outcome to an HTTP answer) is what the adapter uses; inbound (an
/// HTTP answer back to a fabric status) is what clients and the conformance drivers read.
public enum HTTPStatusMapping {
    /// One row of the table.
    public struct Row: Sendable {
        /// The fabric outcome.
        public let status: Status
        /// Its HTTP status.
        public let http: HTTPResponse.Status
        /// Whether the answer carries `Retry-After`.
        public let retryAfter: Bool
    }

    /// The table: every `Status` exactly once.
    public static let table: [Row] = [
        Row(status: .ok, http: .ok, retryAfter: false),
        Row(status: .retry, http: .serviceUnavailable, retryAfter: true),
        Row(status: .error, http: .internalServerError, retryAfter: false),
        Row(status: .timeout, http: .gatewayTimeout, retryAfter: false),
        Row(status: .rejected, http: .badRequest, retryAfter: false),
        Row(status: .unavailable, http: .serviceUnavailable, retryAfter: true),
        Row(status: .notFound, http: .notFound, retryAfter: false),
        Row(status: .unauthorized, http: .unauthorized, retryAfter: false),
        Row(status: .forbidden, http: .forbidden, retryAfter: false),
    ]

    /// A publish that the router accepted (`ok`) is answered 202, not 200.
    public static let publishAccepted: HTTPResponse.Status = .accepted
    /// `rejected` because the request is larger than the limit.
    public static let tooLarge: HTTPResponse.Status = .contentTooLarge
    /// `rejected` because the header block is larger than the limit.
    public static let headersTooLarge: HTTPResponse.Status = .init(code: 431, reasonPhrase: "Request Header Fields Too Large")

    private static let byStatus: [Status: Row] = Dictionary(uniqueKeysWithValues: table.map { ($0.status, $0) })

    /// The row of `status`.
    public static func row(for status: Status) -> Row {
        // The table covers every case; the fallback only guards a status added without a row.
        byStatus[status] ?? Row(status: status, http: .internalServerError, retryAfter: false)
    }

    /// The HTTP status of `status`; `publish` turns `ok` into 202.
    public static func http(for status: Status, publish: Bool = false) -> HTTPResponse.Status {
        if publish && status == .ok { return publishAccepted }
        return row(for: status).http
    }

    /// The fabric status an HTTP answer stands for (what a client of the adapter reads).
    public static func status(forHTTP code: Int) -> Status {
        switch code {
        case 200..<300, 304: .ok
        case 400, 405, 411, 413, 414, 415, 422, 431: .rejected
        case 401: .unauthorized
        case 403: .forbidden
        case 404: .notFound
        case 408, 504: .timeout
        case 429, 502, 503: .unavailable
        default: .error
        }
    }
}
