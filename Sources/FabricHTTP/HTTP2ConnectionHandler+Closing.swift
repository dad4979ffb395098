import NIOCore
import NIOHTTP2

/// Closing idle and old connections, and the graceful close, in place of nio-http2's
/// `NIOHTTP2ServerConnectionManagementHandler`: that handler restarts a timer every time the
/// connection's last stream closes (once per request for a client that sends one at a
/// time) and passes every frame and event through one more handler. Here an idle connection
/// costs one timer for its whole life, and a closing stream only notes the time.
extension HTTP2ConnectionHandler {
    /// How far a graceful close has come (RFC 9113 §6.8).
    enum Closing {
        case open
        /// A GOAWAY naming the last possible stream, and a PING, are out: streams the client
        /// opens before it reads them are still served.
        case announced
        /// The PING came back and a GOAWAY naming the last stream opened followed: the
        /// connection closes with its last stream.
        case closing
    }

    /// The PING that follows the first GOAWAY.
    static let goAwayPing = HTTP2PingData(withInteger: 0x66_61_62_72_69_63)

    func startTimers(context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        if let idleTimeout { scheduleIdleCheck(at: .now() + idleTimeout, context: context) }
        if let maxAge {
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            ageLimit = context.eventLoop.scheduleTask(in: maxAge) { handler.value.startClosing() }
        }
    }

    private func scheduleIdleCheck(at deadline: NIODeadline, context: ChannelHandlerContext) {
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        idleCheck = context.eventLoop.scheduleTask(deadline: deadline) { handler.value.checkIdle() }
    }

    /// Closes the connection if no stream has been open for `idleTimeout`; else checks again
    /// when that time would be up.
    private func checkIdle() {
        idleCheck = nil
        guard closing == .open, let idleTimeout, let context else { return }
        if let since = idleSince, since + idleTimeout <= .now() {
            startClosing(context: context)
        } else {
            scheduleIdleCheck(at: (idleSince ?? .now()) + idleTimeout, context: context)
        }
    }

    /// Starts the graceful close: when the server quiesces, or the connection is idle or old.
    func startClosing(context: ChannelHandlerContext? = nil) {
        guard closing == .open, let context = context ?? self.context else { return }
        closing = .announced
        idleCheck?.cancel()
        ageLimit?.cancel()
        let goAway = HTTP2Frame.FramePayload.goAway(lastStreamID: .maxID, errorCode: .noError, opaqueData: nil)
        context.write(wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: goAway)), promise: nil)
        let ping = HTTP2Frame.FramePayload.ping(Self.goAwayPing, ack: false)
        context.write(wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: ping)), promise: nil)
        context.flush()
    }

    /// The client has read the first GOAWAY: no stream past the last one opened will come.
    func receivedPingAck(_ data: HTTP2PingData, context: ChannelHandlerContext) {
        guard closing == .announced, data == Self.goAwayPing else { return }
        closing = .closing
        let goAway = HTTP2Frame.FramePayload.goAway(lastStreamID: lastStreamID, errorCode: .noError, opaqueData: nil)
        context.writeAndFlush(wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: goAway)), promise: nil)
        if !hasStreams { closeSoon(context: context) }
    }

    /// Closes the connection on the next turn of its loop, once what this one wrote is flushed.
    func closeSoon(context: ChannelHandlerContext) {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.execute { bound.value.close(promise: nil) }
    }
}
