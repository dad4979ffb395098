import FabricCore
import HTTPTypes

/// The correlation id and W3C trace context of one request: taken from the client when
/// valid, created otherwise, and returned on the answer.
struct RequestTrace: Sendable {
    /// Longest correlation id taken from a client.
    static let maxCorrelationIDLength = 128

    /// Correlation id (`X-Correlation-Id`).
    let correlationID: String
    /// `traceparent`, only ever in its valid W3C form.
    let traceparent: String
    /// `tracestate`, kept only beside a valid client `traceparent`.
    let tracestate: String?

    init(headers: HTTPFields) {
        if let given = headers.value(HTTPHeader.correlationID), RequestTrace.isValidCorrelationID(given) {
            correlationID = given
        } else {
            correlationID = FabricID.generate()
        }
        if let parent = TraceParent.validated(headers.value(HTTPHeader.traceparent)) {
            traceparent = parent
            tracestate = headers.value(HTTPHeader.tracestate).flatMap {
                $0.utf8.count <= 512 && RequestTrace.isVisible($0, spaces: true) ? $0 : nil
            }
        } else {
            traceparent = TraceParent.fresh()
            tracestate = nil
        }
    }

    /// Adds the correlation id and trace parent to an answer's headers.
    func stamp(_ headers: inout HTTPFields) {
        // Unique to each answer: kept out of HPACK's dynamic table, which they would fill
        // for nothing (and nio-http2 searches it linearly for every field it encodes).
        var correlation = HTTPField(name: HTTPHeader.correlationID, value: correlationID)
        correlation.indexingStrategy = .avoid
        headers[fields: HTTPHeader.correlationID] = [correlation]
        var trace = HTTPField(name: HTTPHeader.traceparent, value: traceparent)
        trace.indexingStrategy = .avoid
        headers[fields: HTTPHeader.traceparent] = [trace]
    }

    /// Copies both into an envelope.
    func stamp(_ envelope: inout Envelope) {
        envelope.correlationID = correlationID
        envelope.traceparent = traceparent
        envelope.tracestate = tracestate
    }

    /// 1–128 visible ASCII characters: it becomes a NATS header value and a log field.
    static func isValidCorrelationID(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.count <= maxCorrelationIDLength && isVisible(value, spaces: false)
    }

    static func isVisible(_ value: String, spaces: Bool) -> Bool {
        value.utf8.allSatisfy { ($0 > 0x20 && $0 < 0x7F) || (spaces && $0 == 0x20) }
    }
}
