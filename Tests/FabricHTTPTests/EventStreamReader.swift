import AsyncHTTPClient
import FabricCore
import NIOCore

/// Reads Server-Sent Events frames from a streaming response body.
struct EventStreamReader {
    /// One frame.
    struct Frame: Sendable {
        var id: String?
        var event: String?
        var data: String = ""
        var comment: String?

        /// The data as JSON.
        var json: [String: JSONValue] {
            guard case .object(let members)? = JSONCodec.parse(data) else { return [:] }
            return members
        }
    }

    private var iterator: HTTPClientResponse.Body.AsyncIterator
    private var pending: [UInt8] = []

    init(_ response: HTTPClientResponse) {
        iterator = response.body.makeAsyncIterator()
    }

    /// The next frame, comments (keep-alives) included; nil at the end of the stream.
    mutating func nextFrame() async throws -> Frame? {
        while true {
            if let end = Self.frameEnd(in: pending) {
                let text = String(decoding: pending[..<end], as: UTF8.self)
                pending.removeFirst(end + 2)
                return Self.parse(text)
            }
            guard let buffer = try await iterator.next() else { return nil }
            pending += buffer.readableBytesView
        }
    }

    /// The next frame that is an event (not a comment or a `retry:`).
    mutating func nextEvent() async throws -> Frame? {
        while let frame = try await nextFrame() {
            if frame.event != nil || !frame.data.isEmpty { return frame }
        }
        return nil
    }

    private static func frameEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        for index in 0..<(bytes.count - 1) where bytes[index] == 0x0A && bytes[index + 1] == 0x0A { return index }
        return nil
    }

    private static func parse(_ text: String) -> Frame {
        var frame = Frame()
        var data: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(":") {
                frame.comment = String(line.dropFirst().drop { $0 == " " })
                continue
            }
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let field = parts[0]
            var value = parts.count > 1 ? parts[1] : ""
            if value.hasPrefix(" ") { value = value.dropFirst() }
            switch field {
            case "id": frame.id = String(value)
            case "event": frame.event = String(value)
            case "data": data.append(value)
            default: continue
            }
        }
        frame.data = data.joined(separator: "\n")
        return frame
    }
}
