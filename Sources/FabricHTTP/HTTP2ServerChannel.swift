import FabricCore
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP2

/// Hummingbird's child channel for an HTTP/2 connection (h2c, or h2 after ALPN): one
/// `HTTP2ConnectionHandler` reads the streams, and each request is answered by `responder`
/// in a task of its own on the connection's event loop.
///
/// Hummingbird's `HTTP2Channel` gives every stream a child channel, an `NIOAsyncChannel` and a
/// task; at 16 connections that cost twice an HTTP/1.1 request's event-loop time
/// (`docs/performance.md`).
struct HTTP2ServerChannel<Responder: HTTPResponder>: ServerChildChannel where Responder.Context == HTTPRequestContext {
    /// A configured connection.
    struct Value: ServerChildChannelValue {
        let channel: any Channel
        let handler: NIOLoopBound<HTTP2ConnectionHandler>
    }

    /// The window each stream starts with: nio-http2's default (RFC 9113's 65,535 bytes).
    static var streamWindow: Int { 65_535 }

    let answerer: RequestAnswerer<Responder>
    let limits: HTTPConfig.Limits
    /// The ingress's body limit.
    let bodyLimit: Int

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture { try configure(channel, logger: logger) }
    }

    /// Adds the HTTP/2 handlers to the pipeline of `channel`; on its event loop.
    func configure(_ channel: any Channel, logger: Logger) throws -> Value {
        let handler = HTTP2ConnectionHandler(
            bodyLimit: bodyLimit, streamWindow: Self.streamWindow, requestTimeout: TimeAmount(limits.idleTimeout),
            graceTimeout: limits.gracefulCloseTimeout > .zero ? TimeAmount(limits.gracefulCloseTimeout) : nil,
            idleTimeout: limits.idleTimeout > .zero ? TimeAmount(limits.idleTimeout) : nil,
            maxAge: limits.maxConnectionAge > .zero ? TimeAmount(limits.maxConnectionAge) : nil)
        let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        let executor = EventLoopExecutor(channel.eventLoop)
        let answerer = self.answerer
        handler.start = { stream, head, body in
            answerer.start(
                head, body: body, to: HTTP2StreamWriter(connection: bound, stream: stream), channel: channel,
                isHTTP2: true, executor: executor, logger: logger)
        }
        // The header limits are the ingress's, answered 431 with a reason; the protocol's
        // limit only bounds what HPACK decodes (it counts 32 bytes more per field).
        let headerListSize = max(limits.maxHeaderListSize + 32 * limits.maxHeaderCount, 16_384)
        let settings: HTTP2Settings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: limits.maxConcurrentStreams),
            HTTP2Setting(parameter: .maxHeaderListSize, value: headerListSize),
        ]
        let pipeline = channel.pipeline.syncOperations
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = settings
        // `HTTP2HeaderBlock` checks received blocks as it converts them (one pass, not two);
        // the blocks this server sends are built from HTTPTypes' fields, valid by construction.
        connection.headerBlockValidation = .disabled
        try pipeline.addHandler(NIOHTTP2Handler(mode: .server, frameDelegate: handler, connectionConfiguration: connection))
        try pipeline.addHandler(handler)
        return Value(channel: channel, handler: bound)
    }

    /// Waits for the connection to close and for its requests' tasks to end.
    func handle(value: Value, logger: Logger) async {
        let (handler, eventLoop) = (value.handler, value.channel.eventLoop)
        await ConnectionEnd.wait(for: value.channel) { handler.value.whenTasksEnd(on: eventLoop) }
    }
}
