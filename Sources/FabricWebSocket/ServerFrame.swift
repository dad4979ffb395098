import FabricCore
import Foundation
import NIOCore

/// A frame for the client, encoded once (a topic message fanned out to many clients is
/// encoded once and shared).
///
/// JSON payloads travel inside a text frame as they are; any other payload makes the
/// frame binary: the JSON header on one line, a line feed, then the raw bytes.
struct ServerFrame: Sendable {
    /// What goes on the wire (without WebSocket framing), written as it is to every client.
    let bytes: ByteBuffer
    /// A text frame (UTF-8); else binary.
    let isText: Bool
    /// The class the `priority` drop policy judges it by.
    let priority: Priority
    /// Outbox sequence of an at-least-once frame.
    let sequence: UInt64?

    /// Bytes on the wire (without WebSocket framing).
    var size: Int { bytes.readableBytes }

    private init(text: String, priority: Priority, sequence: UInt64?) {
        self.init(bytes: ByteBuffer(string: text), isText: true, priority: priority, sequence: sequence)
    }

    private init(bytes: ByteBuffer, isText: Bool, priority: Priority, sequence: UInt64?) {
        self.bytes = bytes
        self.isText = isText
        self.priority = priority
        self.sequence = sequence
    }

    /// A frame of `fields`, with `payload` embedded (JSON) or after the header line (other bytes).
    static func json(
        _ fields: [String: JSONValue], payload: [UInt8]? = nil, priority: Priority = .normal, sequence: UInt64? = nil
    ) -> ServerFrame {
        var header = JSONCodec.encodeSorted(JSONValue.object(fields))
        guard let payload, !payload.isEmpty else {
            return ServerFrame(text: header, priority: priority, sequence: sequence)
        }
        if JSONCodec.parse(payload) != nil {
            header.removeLast()  // the closing brace; the payload goes last
            var text = header
            text += fields.isEmpty ? "\"payload\":" : ",\"payload\":"
            text += String(decoding: payload, as: UTF8.self)
            text += "}"
            return ServerFrame(text: text, priority: priority, sequence: sequence)
        }
        var buffer = ByteBufferAllocator().buffer(capacity: header.utf8.count + 1 + payload.count)
        buffer.writeString(header)
        buffer.writeInteger(UInt8(0x0A))
        buffer.writeBytes(payload)
        return ServerFrame(bytes: buffer, isText: false, priority: priority, sequence: sequence)
    }

    /// A raw-mode frame: the payload alone, as text when it is UTF-8 (or `asText`), else binary.
    static func raw(
        _ payload: [UInt8], asText: Bool? = nil, priority: Priority = .normal, sequence: UInt64? = nil
    )
        -> ServerFrame
    {
        let valid = String(validating: payload, as: UTF8.self) != nil
        let text = asText ?? valid
        // A text frame must be UTF-8: a payload that is not is repaired (U+FFFD), as before.
        if text, !valid {
            return ServerFrame(text: String(decoding: payload, as: UTF8.self), priority: priority, sequence: sequence)
        }
        return ServerFrame(bytes: ByteBuffer(bytes: payload), isText: text, priority: priority, sequence: sequence)
    }

    /// An `error` frame.
    static func error(_ error: FrameError, id: String? = nil) -> ServerFrame {
        var fields: [String: JSONValue] = [
            "op": .string("error"), "code": .string(error.code), "status": .string(error.status.rawValue),
            "error": .string(error.message),
        ]
        if let id { fields["id"] = .string(id) }
        return json(fields)
    }

    /// A `message` frame for something the fabric sent to this client.
    static func message(headers: Headers, payload: [UInt8], subject: String, sequence: UInt64?) -> ServerFrame {
        var fields: [String: JSONValue] = ["op": .string("message")]
        var priority = Priority.normal
        if let envelope = try? Envelope(headers: headers, payload: []) {
            fields["id"] = .string(envelope.id)
            fields["type"] = .string(envelope.type)
            fields["time"] = .number(Double(envelope.time))
            fields["source"] = .string(envelope.source.rawValue)
            if let topic = envelope.topic { fields["topic"] = .string(topic) }
            if let correlation = envelope.correlationID { fields["correlation_id"] = .string(correlation) }
            if let contentType = envelope.contentType { fields["content_type"] = .string(contentType) }
            if let value = envelope.priority {
                priority = value
                fields["priority"] = .string(value.rawValue)
            }
        } else {
            // Not an envelope (a plain NATS publish): still delivered, described by its subject.
            fields["subject"] = .string(subject)
            if let value = headers[HeaderName.priority].flatMap(Priority.init(rawValue:)) { priority = value }
        }
        if let sequence { fields["sequence"] = .number(Double(sequence)) }
        return json(fields, payload: payload, priority: priority, sequence: sequence)
    }

    /// The answer to a request (or a publish's `ack`/`nack`) from the fabric's reply headers.
    static func reply(
        op: String, idField: String, id: String, status: Status, error: String?, correlationID: String,
        headers: Headers = Headers(), payload: [UInt8] = [], fabricID: String? = nil
    ) -> ServerFrame {
        var fields: [String: JSONValue] = [
            "op": .string(op), idField: .string(id), "status": .string(WebSocketStatusMapping.row(for: status).frameStatus),
            "correlation_id": .string(correlationID),
        ]
        if let error { fields["error"] = .string(error) }
        if let fabricID { fields["message_id"] = .string(fabricID) }
        if let contentType = headers[HeaderName.contentType] { fields["content_type"] = .string(contentType) }
        return json(fields, payload: payload)
    }
}
