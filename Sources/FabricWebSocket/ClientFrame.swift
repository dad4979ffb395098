import FabricCore
import Foundation

/// A frame a client sent on `/v1/ws`, parsed and checked (`docs/websocket.md`).
///
/// Text frames are JSON objects with an `op`; a binary frame is a one-line JSON header
/// (`publish` or `request`, without a payload), a line feed, and the raw payload bytes.
/// A pure value: parsing is tested without I/O.
enum ClientFrame: Sendable {
    /// Publish; `ack` asks for an `ack`/`nack` frame.
    case publish(OutgoingMessage, ack: String?)
    /// Request; the reply is a `response` frame with the same `id`.
    case request(OutgoingMessage, id: String)
    /// Subscribe to topic filters.
    case subscribe(id: String?, topics: [String])
    /// Unsubscribe from topic filters.
    case unsubscribe(id: String?, topics: [String])
    /// Acknowledge a delivered message by its outbox `sequence` or its `id`.
    case ack(sequence: UInt64?, id: String?)
    /// Replace the session's token before it expires.
    case refresh(id: String?, token: String)

    /// Longest `id`, `ack` or correlation id taken from a client.
    static let maxIDLength = 255

    /// Parses a text frame.
    static func parse(text: String) throws(FrameError) -> ClientFrame {
        let bytes = Array(text.utf8)
        guard let value = bytes.withUnsafeBytes({ JSONParser.parse($0) }) else {
            throw FrameError("invalid-json", "a frame is one JSON object")
        }
        guard case .object(let fields) = value else { throw FrameError("invalid-frame", "a frame is a JSON object") }
        return try frame(fields, raw: bytes, binaryPayload: nil)
    }

    /// Parses a binary frame: a JSON header line, `\n`, then the payload bytes.
    static func parse(binary bytes: [UInt8]) throws(FrameError) -> ClientFrame {
        guard let newline = bytes.firstIndex(of: 0x0A) else {
            throw FrameError("invalid-frame", "a binary frame is a JSON header line, a line feed, then the payload")
        }
        let header = Array(bytes[..<newline])
        guard let value = header.withUnsafeBytes({ JSONParser.parse($0) }) else {
            throw FrameError("invalid-json", "the header line of a binary frame is one JSON object")
        }
        guard case .object(let fields) = value else { throw FrameError("invalid-frame", "the header line is a JSON object") }
        if fields["payload"] != nil || fields["payload_base64"] != nil {
            throw FrameError("invalid-frame", "a binary frame carries its payload after the header line")
        }
        return try frame(fields, raw: header, binaryPayload: Array(bytes[(newline + 1)...]))
    }

    private static func frame(
        _ fields: [String: JSONValue], raw: [UInt8], binaryPayload: [UInt8]?
    ) throws(FrameError)
        -> ClientFrame
    {
        guard case .string(let op)? = fields["op"] else { throw FrameError("invalid-frame", "every frame has an op") }
        switch op {
        case "publish":
            let message = try outgoing(fields, raw: raw, binaryPayload: binaryPayload, keyField: "id")
            return .publish(message, ack: try identifier(fields, "ack"))
        case "request":
            guard let id = try identifier(fields, "id") else { throw FrameError("invalid-frame", "a request needs an id") }
            return .request(try outgoing(fields, raw: raw, binaryPayload: binaryPayload, keyField: nil), id: id)
        case "subscribe", "unsubscribe":
            guard binaryPayload == nil else { throw FrameError("invalid-frame", "\(op) is a text frame") }
            let topics: [String]
            switch fields["topics"] ?? fields["topic"] {
            case .string(let one)?: topics = [one]
            case .array(let list)?:
                var names: [String] = []
                for item in list {
                    guard case .string(let name) = item else { throw FrameError("invalid-frame", "topics are strings") }
                    names.append(name)
                }
                topics = names
            default: throw FrameError("invalid-frame", "\(op) needs topics")
            }
            guard !topics.isEmpty else { throw FrameError("invalid-frame", "\(op) needs at least one topic") }
            let id = try identifier(fields, "id")
            return op == "subscribe" ? .subscribe(id: id, topics: topics) : .unsubscribe(id: id, topics: topics)
        case "ack":
            var sequence: UInt64?
            if let value = fields["sequence"] {
                guard case .number(let number) = value, number >= 0, number < 9e15, number == number.rounded(.down) else {
                    throw FrameError("invalid-frame", "sequence is a non-negative integer")
                }
                sequence = UInt64(number)
            }
            let id = try identifier(fields, "id")
            guard sequence != nil || id != nil else { throw FrameError("invalid-frame", "an ack names a sequence or an id") }
            return .ack(sequence: sequence, id: id)
        case "refresh":
            guard case .string(let token)? = fields["token"], !token.isEmpty else {
                throw FrameError("invalid-frame", "refresh needs a token")
            }
            return .refresh(id: try identifier(fields, "id"), token: token)
        default:
            throw FrameError(
                "unknown-op", "'\(op.prefix(64))' is not an op (publish, request, subscribe, unsubscribe, ack, refresh)")
        }
    }

    private static func outgoing(
        _ fields: [String: JSONValue], raw: [UInt8], binaryPayload: [UInt8]?, keyField: String?
    ) throws(FrameError) -> OutgoingMessage {
        guard case .string(let type)? = fields["type"] else { throw FrameError("invalid-type", "a message needs a type") }
        do { try MessageType.validate(type) } catch {
            throw FrameError("invalid-type", "'\(type.prefix(128))': \(error.reason)")
        }
        var payload: [UInt8] = []
        var contentType = try string(fields, "content_type")
        if let binaryPayload {
            payload = binaryPayload
            if contentType == nil { contentType = "application/octet-stream" }
        } else if let value = fields["payload"] {
            payload = JSONMembers.raw(of: "payload", in: raw).map { Array(raw[$0]) } ?? Array(JSONCodec.encodeSorted(value).utf8)
            contentType = "application/json"
        } else if let encoded = fields["payload_base64"] {
            guard case .string(let text) = encoded, let data = Data(base64Encoded: text) else {
                throw FrameError("invalid-frame", "payload_base64 is not base64")
            }
            payload = Array(data)
            if contentType == nil { contentType = "application/octet-stream" }
        }
        var message = OutgoingMessage(
            type: type, payload: payload, contentType: contentType, key: nil, topic: nil, correlationID: nil,
            traceparent: nil, tracestate: nil, headers: [], timeout: nil)
        if let keyField, let key = try identifier(fields, keyField) { message.key = key }
        if let topic = try string(fields, "topic") {
            do { _ = try Topic(topic) } catch { throw FrameError("invalid-topic", "topic \(error)") }
            message.topic = topic
        }
        message.correlationID = try identifier(fields, "correlation_id")
        if let parent = TraceParent.validated(try string(fields, "traceparent")) {
            message.traceparent = parent
            message.tracestate = try string(fields, "tracestate").flatMap {
                $0.utf8.count <= 512 && isVisible($0, spaces: true) ? $0 : nil
            }
        }
        if let value = fields["headers"] {
            guard case .object(let headers) = value else { throw FrameError("invalid-frame", "headers is an object of strings") }
            for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
                guard case .string(let text) = value else { throw FrameError("invalid-frame", "header \(name) is not a string") }
                message.headers.append((name.lowercased(), text))
            }
        }
        if let value = fields["timeout"] {
            switch value {
            case .number(let milliseconds) where milliseconds > 0 && milliseconds.isFinite:
                message.timeout = .milliseconds(Int64(min(milliseconds, 1e12)))
            case .string(let text):
                guard let parsed = try? Duration.parse(text), parsed > .zero else {
                    throw FrameError("invalid-frame", "timeout is milliseconds or a duration (250ms, 2s)")
                }
                message.timeout = parsed
            default:
                throw FrameError("invalid-frame", "timeout is milliseconds or a duration (250ms, 2s)")
            }
        }
        return message
    }

    private static func string(_ fields: [String: JSONValue], _ key: String) throws(FrameError) -> String? {
        guard let value = fields[key] else { return nil }
        guard case .string(let text) = value else { throw FrameError("invalid-frame", "\(key) is a string") }
        return text
    }

    /// An id-like field: 1–255 visible ASCII characters (it travels in headers and logs).
    private static func identifier(_ fields: [String: JSONValue], _ key: String) throws(FrameError) -> String? {
        guard let text = try string(fields, key) else { return nil }
        guard !text.isEmpty, text.utf8.count <= maxIDLength, isVisible(text, spaces: false) else {
            throw FrameError("invalid-frame", "\(key) is 1 to \(maxIDLength) visible ASCII characters")
        }
        return text
    }

    static func isVisible(_ value: String, spaces: Bool) -> Bool {
        value.utf8.allSatisfy { ($0 > 0x20 && $0 < 0x7F) || (spaces && $0 == 0x20) }
    }
}
