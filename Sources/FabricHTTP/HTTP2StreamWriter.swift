import HTTPTypes
import NIOCore
import NIOHTTP2

/// Writes one stream's response through its connection's handler, on the connection's
/// event loop (where the stream's task normally runs already).
struct HTTP2StreamWriter: HTTPResponseSink {
    let connection: NIOLoopBound<HTTP2ConnectionHandler>
    let stream: HTTP2StreamID

    func send(head: HTTPResponse?, body: ByteBuffer?, trailers: HTTPFields?, end: Bool) {
        connection.onLoop { $0.write(stream, head: head, body: body, trailers: trailers, end: end, promise: nil) }
    }

    // A closed flow-control window holds the writer back too.
    func sendAndWait(head: HTTPResponse?, body: ByteBuffer) async throws {
        let promise = connection.eventLoop.makePromise(of: Void.self)
        connection.onLoop { $0.write(stream, head: head, body: body, trailers: nil, end: false, promise: promise) }
        try await promise.futureResult.get()
    }

    /// Ends the stream with RST_STREAM.
    func abort() { connection.onLoop { $0.reset(stream) } }

    func taskEnded() { connection.onLoop { $0.taskEnded() } }
}
