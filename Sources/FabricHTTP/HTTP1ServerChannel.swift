import FabricCore
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's child channel for an HTTP/1.1 connection (cleartext, or TLS after ALPN):
/// NIO's HTTP/1.1 codec, Hummingbird's idle and quiesce
/// handling (`HTTPConnectionStateHandler`), and `HTTP1ConnectionHandler`, which starts each
/// request inside the read that completed it (`docs/architecture.md`).
struct HTTP1ServerChannel<Responder: HTTPResponder>: ServerChildChannel where Responder.Context == HTTPRequestContext {
    /// A configured connection.
    struct Value: ServerChildChannelValue {
        let channel: any Channel
        let handler: NIOLoopBound<HTTP1ConnectionHandler>
    }

    let answerer: RequestAnswerer<Responder>
    let limits: HTTPConfig.Limits
    /// The ingress's body limit.
    let bodyLimit: Int
    /// True behind TLS: requests carry the `https` scheme.
    let secure: Bool

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture { try configure(channel, logger: logger) }
    }

    /// Adds the HTTP/1.1 handlers to the pipeline of `channel`; on its event loop.
    func configure(_ channel: any Channel, logger: Logger) throws -> Value {
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderFieldSize = limits.maxHeaderSize
        decoderLimits.maxHeaderListSize = limits.maxHeaderListSize
        decoderLimits.maxHeaderFieldCount = limits.maxHeaderCount
        let pipeline = channel.pipeline.syncOperations
        // `HTTP1ConnectionHandler` holds pipelined requests itself, and answers what the
        // decoder cannot parse (400, after any answer still owed, then closed).
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
            withEncoderConfiguration: .init(), withDecoderLimitConfiguration: decoderLimits)
        try pipeline.addHandler(HTTP1TypesCodec(secure: secure))
        try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: limits.idleTimeout, logger: logger))
        let handler = HTTP1ConnectionHandler(bodyLimit: bodyLimit)
        let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        let executor = EventLoopExecutor(channel.eventLoop)
        let answerer = self.answerer
        handler.start = { head, body in
            answerer.start(
                head, body: body, to: HTTP1ConnectionWriter(connection: bound), channel: channel, isHTTP2: false,
                executor: executor, logger: logger)
        }
        try pipeline.addHandler(handler)
        return Value(channel: channel, handler: bound)
    }

    /// Waits for the connection to close and for its requests' tasks to end.
    func handle(value: Value, logger: Logger) async {
        let (handler, eventLoop) = (value.handler, value.channel.eventLoop)
        await ConnectionEnd.wait(for: value.channel) { handler.value.whenTasksEnd(on: eventLoop) }
    }
}
