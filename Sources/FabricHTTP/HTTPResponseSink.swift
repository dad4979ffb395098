import HTTPTypes
import NIOCore

/// Where one request's response goes: an HTTP/2 stream or an HTTP/1.1 connection, written
/// through its connection's handler on the connection's event loop.
protocol HTTPResponseSink: Sendable {
    /// Writes without waiting for the socket; `end` completes the response.
    func send(head: HTTPResponse?, body: ByteBuffer?, trailers: HTTPFields?, end: Bool)
    /// Writes and waits until the bytes are written: a client that reads slowly holds the
    /// writer back.
    func sendAndWait(head: HTTPResponse?, body: ByteBuffer) async throws
    /// Abandons a response that cannot be completed.
    func abort()
    /// The request's task is done.
    func taskEnded()
}
