import HTTPTypes
import Hummingbird
import NIOCore

/// Hummingbird's body writer for an HTTP/2 stream. A body of known length is held back and
/// goes out with its head and END_STREAM in one flush; a streamed body (Server-Sent Events)
/// goes out write by write, each waiting for the socket.
struct HTTP2BodyWriter: ResponseBodyWriter {
    let writer: HTTP2StreamWriter
    /// The head, until written.
    var head: HTTPResponse?
    /// The first buffer of a body of known length, held for the end.
    var held: ByteBuffer?

    mutating func write(_ buffer: ByteBuffer) async throws {
        if head != nil, held == nil {
            held = buffer
            return
        }
        let (head, held) = (self.head, self.held)
        (self.head, self.held) = (nil, nil)
        if let held {
            writer.send(head: head, body: held, end: false)
            try await writer.sendAndWait(head: nil, body: buffer)
        } else {
            try await writer.sendAndWait(head: head, body: buffer)
        }
    }

    consuming func finish(_ trailers: HTTPFields?) async throws {
        writer.send(head: head, body: held, trailers: trailers, end: true)
    }
}
