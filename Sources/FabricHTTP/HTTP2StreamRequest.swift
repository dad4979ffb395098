import HTTPTypes
import NIOCore
import NIOHTTP2

/// One request read off an HTTP/2 stream, handed from the connection's handler to its task.
struct HTTP2StreamRequest: Sendable {
    /// The stream it arrived on, where its response goes.
    let stream: HTTP2StreamID
    /// Method, path, authority and fields.
    let head: HTTPRequest
    /// The body read so far: all of it, or the first bytes past the body limit.
    let body: ByteBuffer
}
