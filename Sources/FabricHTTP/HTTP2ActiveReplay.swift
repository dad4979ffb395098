import NIOCore

/// Tells the handlers after it that the channel is active, once, when it is added.
///
/// On the TLS listener the HTTP/2 handlers are added after ALPN, to a channel already
/// active: `NIOHTTP2ServerConnectionManagementHandler` starts its idle and maximum-age
/// timers only on `channelActive`, so without this an h2 connection over TLS would never
/// age out, nor close when it stays idle from the start.
final class HTTP2ActiveReplay: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Never

    func handlerAdded(context: ChannelHandlerContext) {
        context.fireChannelActive()
    }
}
