import HTTPTypes
import NIOCore

/// Writes the response of an HTTP/1.1 connection's current request through its handler,
/// on the connection's event loop.
struct HTTP1ConnectionWriter: HTTPResponseSink {
    let connection: NIOLoopBound<HTTP1ConnectionHandler>

    func send(head: HTTPResponse?, body: ByteBuffer?, trailers: HTTPFields?, end: Bool) {
        connection.onLoop { $0.write(head: head, body: body, trailers: trailers, end: end, promise: nil) }
    }

    func sendAndWait(head: HTTPResponse?, body: ByteBuffer) async throws {
        let promise = connection.eventLoop.makePromise(of: Void.self)
        connection.onLoop { $0.write(head: head, body: body, trailers: nil, end: false, promise: promise) }
        try await promise.futureResult.get()
    }

    /// Closes the connection.
    func abort() { connection.onLoop { $0.abort() } }

    func taskEnded() { connection.onLoop { $0.taskEnded() } }
}
