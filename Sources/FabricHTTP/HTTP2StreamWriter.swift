import HTTPTypes
import NIOCore
import NIOHTTP2

/// Writes one stream's response through its connection's handler, on the connection's
/// event loop (where the stream's task normally runs already).
struct HTTP2StreamWriter: Sendable {
    let connection: NIOLoopBound<HTTP2ConnectionHandler>
    let stream: HTTP2StreamID

    /// Writes without waiting for the socket.
    func send(head: HTTPResponse?, body: ByteBuffer?, trailers: HTTPFields? = nil, end: Bool) {
        run { $0.write(stream, head: head, body: body, trailers: trailers, end: end, promise: nil) }
    }

    /// Writes and waits until the bytes are written: a client that reads slowly (or whose
    /// flow-control window is closed) holds its stream's writer back.
    func sendAndWait(head: HTTPResponse?, body: ByteBuffer) async throws {
        let promise = connection.eventLoop.makePromise(of: Void.self)
        run { $0.write(stream, head: head, body: body, trailers: nil, end: false, promise: promise) }
        try await promise.futureResult.get()
    }

    /// Ends the stream with RST_STREAM: its response cannot be completed.
    func reset() { run { $0.reset(stream) } }

    /// The stream's task is done.
    func taskEnded() { run { $0.taskEnded() } }

    private func run(_ body: @escaping @Sendable (HTTP2ConnectionHandler) -> Void) {
        let connection = self.connection
        if connection.eventLoop.inEventLoop {
            body(connection.value)
        } else {
            connection.eventLoop.execute { body(connection.value) }
        }
    }
}
