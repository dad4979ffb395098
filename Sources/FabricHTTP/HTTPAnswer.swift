import FabricAuth
import FabricCore
import HTTPTypes
import Hummingbird
import NIOCore

/// Answers the adapter writes itself: JSON bodies for refusals and failures, with the
/// status from `HTTPStatusMapping` and the request's trace headers.
enum HTTPAnswer {
    /// `{"status": …, "error": …, "correlation_id": …}` with the mapped HTTP status.
    static func failure(
        _ status: Status, _ message: String, trace: RequestTrace, http: HTTPResponse.Status? = nil, retryAfter: Duration? = nil,
        extra: [String: JSONValue] = [:], headers: HTTPFields = [:]
    ) -> Response {
        var body = extra
        body["status"] = .string(status.rawValue)
        body["error"] = .string(message)
        body["correlation_id"] = .string(trace.correlationID)
        var fields = headers
        let row = HTTPStatusMapping.row(for: status)
        if let wait = retryAfter ?? (row.retryAfter ? .seconds(1) : nil) {
            fields[.retryAfter] = String(max(1, (wait.milliseconds + 999) / 1000))
        }
        return json(body, status: http ?? row.http, trace: trace, headers: fields)
    }

    /// 401 for a refused token, with the reason word (`expired`, `unknown_key`, …).
    static func unauthorized(_ error: AuthError, trace: RequestTrace) -> Response {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] =
            error.code == .missing
            ? "Bearer realm=\"fabric\"" : "Bearer realm=\"fabric\", error=\"invalid_token\", error_description=\"\(error.code)\""
        return failure(
            .unauthorized, error.reason, trace: trace, extra: ["reason": .string(error.code.description)], headers: headers)
    }

    /// A JSON object body.
    static func json(
        _ object: [String: JSONValue], status: HTTPResponse.Status, trace: RequestTrace, headers: HTTPFields = [:]
    ) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        trace.stamp(&fields)
        let text = JSONCodec.encodeSorted(JSONValue.object(object)) + "\n"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A body passed through as it came, with its media type.
    static func bytes(
        _ payload: [UInt8], contentType: String?, status: HTTPResponse.Status, trace: RequestTrace, headers: HTTPFields = [:]
    ) -> Response {
        var fields = headers
        fields[.contentType] = contentType ?? "application/octet-stream"
        trace.stamp(&fields)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: payload)))
    }
}
