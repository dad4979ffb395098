import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Rewrites hummingbird-websocket's empty 400 for a refused upgrade into the refusal the
/// adapter decided (`UpgradeRefusals`); any other response passes untouched.
///
/// Added to the pipeline of connections that were not upgraded, after the HTTP codec.
final class RefusalWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let refusals: UpgradeRefusals
    private var refusal: UpgradeRefusal?

    init(refusals: UpgradeRefusals) { self.refusals = refusals }

    func handlerAdded(context: ChannelHandlerContext) {
        refusal = refusals.take(for: context.channel)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard let refusal else {
            context.write(data, promise: promise)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(var head):
            head.status = refusal.status
            var fields = refusal.headers
            fields[.contentLength] = String(refusal.body.count)
            head.headerFields = fields
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            promise?.succeed()
        case .end(let trailers):
            context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: refusal.body))), promise: nil)
            context.write(wrapOutboundOut(.end(trailers)), promise: promise)
            self.refusal = nil
        }
    }
}
