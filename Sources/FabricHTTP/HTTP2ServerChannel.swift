import FabricCore
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP2

/// Hummingbird's child channel for an HTTP/2 connection (h2c, or h2 after ALPN): one
/// `HTTP2ConnectionHandler` reads the streams, and each request is answered by `responder`
/// in a task of the connection's task group.
///
/// Hummingbird's `HTTP2Channel` gives every stream a child channel, an `NIOAsyncChannel` and a
/// task; at 16 connections that cost twice an HTTP/1.1 request's event-loop time
/// (`docs/performance.md`).
struct HTTP2ServerChannel<Responder: HTTPResponder>: ServerChildChannel where Responder.Context == HTTPRequestContext {
    /// A configured connection.
    struct Value: ServerChildChannelValue {
        let channel: any Channel
        let requests: AsyncStream<HTTP2StreamRequest>
        let handler: NIOLoopBound<HTTP2ConnectionHandler>
    }

    /// The window each stream starts with: nio-http2's default (RFC 9113's 65,535 bytes).
    static var streamWindow: Int { 65_535 }

    let responder: Responder
    let limits: HTTPConfig.Limits
    /// The ingress's body limit.
    let bodyLimit: Int

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture { try configure(channel) }
    }

    /// Adds the HTTP/2 handlers to the pipeline of `channel`; on its event loop.
    func configure(_ channel: any Channel) throws -> Value {
        let (requests, continuation) = AsyncStream.makeStream(of: HTTP2StreamRequest.self)
        let handler = HTTP2ConnectionHandler(
            requests: continuation, bodyLimit: bodyLimit, streamWindow: Self.streamWindow,
            requestTimeout: TimeAmount(limits.idleTimeout))
        // The header limits are the ingress's, answered 431 with a reason; the protocol's
        // limit only bounds what HPACK decodes (it counts 32 bytes more per field).
        let headerListSize = max(limits.maxHeaderListSize + 32 * limits.maxHeaderCount, 16_384)
        let settings: HTTP2Settings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: limits.maxConcurrentStreams),
            HTTP2Setting(parameter: .maxHeaderListSize, value: headerListSize),
        ]
        let management = NIOHTTP2ServerConnectionManagementHandler(
            eventLoop: channel.eventLoop,
            configuration: .init(
                maxIdleTime: limits.idleTimeout > .zero ? TimeAmount(limits.idleTimeout) : nil,
                maxAge: limits.maxConnectionAge > .zero ? TimeAmount(limits.maxConnectionAge) : nil,
                maxGraceTime: limits.gracefulCloseTimeout > .zero ? TimeAmount(limits.gracefulCloseTimeout) : nil,
                keepalive: nil))
        let pipeline = channel.pipeline.syncOperations
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = settings
        try pipeline.addHandler(NIOHTTP2Handler(mode: .server, frameDelegate: handler, connectionConfiguration: connection))
        try pipeline.addHandler(HTTP2StreamEventFilter())
        try pipeline.addHandler(management)
        try pipeline.addHandler(handler)
        return Value(channel: channel, requests: requests, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
    }

    func handle(value: Value, logger: Logger) async {
        await withDiscardingTaskGroup { group in
            for await request in value.requests {
                group.addTask { await respond(to: request, on: value, logger: logger) }
            }
        }
    }

    /// What Hummingbird's `Application` does around its responder, for one stream.
    private func respond(to item: HTTP2StreamRequest, on connection: Value, logger: Logger) async {
        let writer = HTTP2StreamWriter(connection: connection.handler, stream: item.stream)
        let request = Request(head: item.head, body: RequestBody(buffer: item.body))
        let context = HTTPRequestContext(source: .init(channel: connection.channel, logger: logger), isHTTP2: true)
        var response: Response
        do {
            response = try await responder.respond(to: request, context: context)
        } catch {
            logger.debug("unhandled error", metadata: ["error": "\(error)"])
            response = Response(status: .internalServerError)
        }
        response.headers[.date] = HTTPDate.now()
        let head = response.head
        let body = response.body
        do {
            if body.contentLength != nil {
                try await body.write(HTTP2BodyWriter(writer: writer, head: head))
            } else {
                // A stream: its head goes out now, not with its first event.
                writer.send(head: head, body: nil, end: false)
                try await body.write(HTTP2BodyWriter(writer: writer, head: nil))
            }
        } catch {
            writer.reset()
        }
    }
}
