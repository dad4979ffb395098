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
    /// - Parameter sequence: the outbox sequence when the message came from history.
    static func message(headers: Headers, payload: [UInt8], subject: String, sequence: UInt64? = nil) -> ServerSentEvent {
        var fields: [String: JSONValue] = [:]
        var type: String?
        var id: String?
        if let envelope = try? Envelope(headers: headers, payload: payload) {
            type = envelope.type
            fields["id"] = .string(envelope.id)
            fields["type"] = .string(envelope.type)
            fields["time"] = .number(Double(envelope.time))
            fields["source"] = .string(envelope.source.rawValue)
            if let topic = envelope.topic { fields["topic"] = .string(topic) }
            if let correlation = envelope.correlationID { fields["correlation_id"] = .string(correlation) }
            if let contentType = envelope.contentType { fields["content_type"] = .string(contentType) }
            if let sequence = sequence ?? envelope.sequence {
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
        if !payload.isEmpty, JSONCodec.parse(payload) != nil {
            // Valid JSON has line breaks only as whitespace between tokens: spaces keep it one data line.
            let flat = payload.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }
            data += (fields.isEmpty ? "" : ",") + "\"payload\":" + String(decoding: flat, as: UTF8.self) + "}"
        } else {
            data += (fields.isEmpty ? "" : ",") + "\"payload_base64\":\"" + Data(payload).base64EncodedString() + "\"}"
        }
        return ServerSentEvent(id: id, event: type ?? "message", data: data)
    }

    private static func lines(_ text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
    }

    private static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
    }
}
