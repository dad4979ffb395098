import FabricCore
import Foundation

/// One Server-Sent Events frame (`id:`, `event:`, `data:` lines and a blank line).
///
/// `data` is the JSON form of the envelope (`schemas/envelope.schema.json`): a JSON
/// payload is embedded as it is, any other payload as `payload_base64`.
struct ServerSentEvent: Sendable, Hashable {
    /// Event id: the `FABRIC_OUTBOX` sequence, so a reconnecting client's `Last-Event-ID`
    /// says where to resume; nil for messages without history.
    var id: String?
    /// Event name: the message type.
    var event: String?
    /// The data, possibly several lines.
    var data: String

    /// The frame as sent on the wire.
    var encoded: String {
        var text = ""
        if let id { text += "id: \(ServerSentEvent.oneLine(id))\n" }
        if let event { text += "event: \(ServerSentEvent.oneLine(event))\n" }
        for line in ServerSentEvent.lines(data) { text += "data: \(line)\n" }
        return text + "\n"
    }

    /// A comment line (keep-alive), ignored by clients.
    static func comment(_ text: String) -> String { ": \(oneLine(text))\n\n" }

    /// `retry:` — how long a browser waits before reconnecting.
    static func retry(_ duration: Duration) -> String { "retry: \(duration.milliseconds)\n\n" }

    /// The event for a message a backend or the delivery service sent to this client.
    ///
    /// - Parameter sequence: the outbox sequence of an at-least-once frame or a replayed
    ///   message: the event's id. Nil for at-most-once messages, which have no id.
    static func message(headers: Headers, payload: [UInt8], subject: String, sequence: UInt64? = nil) -> ServerSentEvent {
        var fields: [String: JSONValue] = [:]
        var type: String?
        var id: String?
        var contentType: String?
        if let envelope = try? Envelope(headers: headers, payload: payload) {
            type = envelope.type
            fields["id"] = .string(envelope.id)
            fields["type"] = .string(envelope.type)
            fields["time"] = .number(Double(envelope.time))
            fields["source"] = .string(envelope.source.rawValue)
            if let topic = envelope.topic { fields["topic"] = .string(topic) }
            if let correlation = envelope.correlationID { fields["correlation_id"] = .string(correlation) }
            if let declared = envelope.contentType {
                fields["content_type"] = .string(declared)
                contentType = declared
            }
            if let sequence {
                fields["sequence"] = .number(Double(sequence))
                id = String(sequence)
            }
        } else {
            // Not an envelope (a plain NATS publish): still delivered, described by its subject.
            fields["subject"] = .string(subject)
            if let sequence {
                fields["sequence"] = .number(Double(sequence))
                id = String(sequence)
            }
        }
        var data = JSONCodec.encodeSorted(JSONValue.object(fields))
        data.removeLast()  // the closing brace; the payload goes last
        if ServerSentEvent.embedsAsJSON(payload, contentType: contentType) {
            // Valid JSON has line breaks only as whitespace between tokens: spaces keep it one data line.
            let flat = payload.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }
            data += (fields.isEmpty ? "" : ",") + "\"payload\":" + String(decoding: flat, as: UTF8.self) + "}"
        } else {
            data += (fields.isEmpty ? "" : ",") + "\"payload_base64\":\"" + Data(payload).base64EncodedString() + "\"}"
        }
        return ServerSentEvent(id: id, event: type ?? "message", data: data)
    }

    /// Whether `payload` goes into `data` as JSON rather than base64.
    ///
    /// A payload declared as another media type is base64 without a look at its bytes. One
    /// declared JSON (or not declared) must still be exactly one JSON value: payloads can
    /// come from clients, and bytes such as `1,"type":"admin"` would otherwise add fields
    /// to the event's own object.
    static func embedsAsJSON(_ payload: [UInt8], contentType: String?) -> Bool {
        guard !payload.isEmpty else { return false }
        if let contentType, !isJSONMediaType(contentType) { return false }
        return JSONCodec.parse(payload) != nil
    }

    /// `application/json` or any `…+json`, parameters ignored.
    static func isJSONMediaType(_ value: String) -> Bool {
        let essence = value.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces).lowercased()
        return essence == "application/json" || essence.hasSuffix("+json")
    }

    private static func lines(_ text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
    }

    private static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
    }
}
