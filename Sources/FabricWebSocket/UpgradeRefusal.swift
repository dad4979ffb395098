import FabricCore
import HTTPTypes

/// The HTTP answer that refuses a WebSocket upgrade: status, headers and a JSON body
/// (`{"status":…,"reason":…,"error":…}`), as the HTTP adapter writes its errors.
/// `http` overrides the status the fabric outcome maps to (426 for a plain request).
struct UpgradeRefusal: Error, Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: [UInt8]
    /// Label of `fabric_ws_connections_total{result}`.
    let metric: String

    init(
        _ status: Status, _ message: String, metric: String, reason: String? = nil, retryAfter: Duration? = nil,
        http: HTTPResponse.Status? = nil
    ) {
        self.status = http ?? WebSocketStatusMapping.row(for: status).upgradeRefusal ?? .badRequest
        var fields: [String: JSONValue] = ["status": .string(status.rawValue), "error": .string(message)]
        if let reason { fields["reason"] = .string(reason) }
        body = Array(JSONCodec.encodeSorted(JSONValue.object(fields)).utf8)
        var headers: HTTPFields = [.contentType: "application/json", .connection: "close"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer error=\"invalid_token\"" }
        if self.status == .upgradeRequired {
            headers[.upgrade] = "websocket"
            headers[.connection] = "Upgrade, close"
        }
        if let retryAfter { headers[.retryAfter] = String(max(1, retryAfter.milliseconds / 1000)) }
        self.headers = headers
        self.metric = metric
    }
}
