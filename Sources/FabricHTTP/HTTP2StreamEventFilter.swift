import NIOCore
import NIOHTTP2

/// Passes on a `StreamClosedEvent` only for a stream whose `NIOHTTP2StreamCreatedEvent` was
/// passed on.
///
/// nio-http2 closes a stream refused on its first header block (a stream error, such as a
/// block without `:path`) without having announced it; `NIOHTTP2ServerConnectionManagementHandler`
/// asserts that every stream it hears closed was opened, which a debug build enforces.
final class HTTP2StreamEventFilter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame

    private var open: Set<HTTP2StreamID> = []

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let created = event as? NIOHTTP2StreamCreatedEvent {
            open.insert(created.streamID)
        } else if let closed = event as? StreamClosedEvent, open.remove(closed.streamID) == nil {
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
