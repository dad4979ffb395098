import HTTPTypes
import Hummingbird
import NIOCore

/// Hummingbird's body writer over an `HTTPResponseSink`. A body of known length is held
/// back and goes out with its head and its end in one flush; a streamed body (Server-Sent
/// Events) goes out write by write, each waiting for the socket.
struct SinkBodyWriter<Sink: HTTPResponseSink>: ResponseBodyWriter {
    let sink: Sink
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
            sink.send(head: head, body: held, trailers: nil, end: false)
            try await sink.sendAndWait(head: nil, body: buffer)
        } else {
            try await sink.sendAndWait(head: head, body: buffer)
        }
    }

    consuming func finish(_ trailers: HTTPFields?) async throws {
        sink.send(head: head, body: held, trailers: trailers, end: true)
    }
}
