import FabricCore
import Metrics
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The WebSocket side of one upgraded connection, on its event loop: puts frames together
/// into messages for its session, answers pings, pings the client and closes the connection
/// when pongs stop, runs the close handshake, and writes what the session's buffer holds
/// while the socket takes it.
///
/// No task waits per connection: reads arrive here, writes are drained from the buffer when
/// it wakes this handler or the socket becomes writable again. A long-lived task keeps the
/// deepest stack it ever had (`docs/architecture.md`, "A WebSocket connection holds no task").
final class WebSocketConnection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let session: WebSocketSession
    private var context: ChannelHandlerContext?
    /// The opcode of the message being put together from fragments.
    private var opcode: WebSocketOpcode?
    private var collected: ByteBuffer?
    private var closeSent = false
    /// The connection cannot go on (`fail(closeAtOnce:)`): it closes as soon as the close
    /// frame is written.
    private var closeOnceSent = false
    private var awaitingPong = false
    private var pingTimer: RepeatedTask?
    /// The session has started: `ready` is its first frame, so nothing is written before.
    private var isStarted = false
    /// The client closed its side before the session started.
    private var inputClosedEarly = false

    init(session: WebSocketSession) {
        self.session = session
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        session.buffer.attach { loop.execute { bound.value.drain() } }
    }

    /// The session has started and NIO has replayed what it read meanwhile: read on, and ping.
    private func started(context: ChannelHandlerContext) {
        isStarted = true
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        // After this event NIO replays the frames it held back; a half-close seen meanwhile
        // closes the connection only after them.
        context.eventLoop.execute { bound.value.drain() }
        if inputClosedEarly { context.eventLoop.execute { bound.value.context?.close(promise: nil) } }
        let interval = TimeAmount.milliseconds(session.context.config.pingInterval.milliseconds)
        pingTimer = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            bound.value.ping()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        pingTimer?.cancel()
        pingTimer = nil
        // The wake action holds this handler: let go of it so handler and session can go.
        session.buffer.detach()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.connectionClosed()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { drain() }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case HTTPServerUpgradeEvents.upgradeComplete? = event as? HTTPServerUpgradeEvents {
            started(context: context)
        }
        if event is ChannelShouldQuiesceEvent {
            session.buffer.close(.goingAway, "shutting down", flush: true)
            return
        }
        if case ChannelEvent.inputClosed = event {
            // The server allows half-closed connections; a WebSocket client that stops sending is gone.
            if isStarted { context.close(promise: nil) } else { inputClosedEarly = true }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is ByteToMessageDecoderError {
            // Bytes after a frame the decoder refused: its close is already on the way.
            return
        }
        guard let error = error as? NIOWebSocketError else {
            context.close(promise: nil)
            return
        }
        switch error {
        case .invalidFrameLength:
            fail(.tooLarge, "frame larger than \(session.context.config.limits.maxFrameSize) bytes", closeAtOnce: true)
        default:
            fail(.protocolError, "unreadable frame: \(error)", closeAtOnce: true)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        // RFC 6455 §5.1: a server closes a connection whose client frames are not masked.
        guard frame.maskKey != nil, !frame.rsv1, !frame.rsv2, !frame.rsv3 else {
            fail(
                .protocolError, frame.maskKey == nil ? "client frames must be masked" : "no extension was negotiated",
                closeAtOnce: true)
            return
        }
        switch frame.opcode {
        case .connectionClose:
            receivedClose(frame, context: context)
        case .ping:
            // A client that pings faster than it reads gets no pong for what cannot be written
            // (RFC 6455 §5.5.3 allows answering only the latest ping).
            guard !closeSent, context.channel.isWritable else { return }
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .pong:
            awaitingPong = false
        case .text, .binary, .continuation:
            received(frame)
        default:
            fail(.protocolError, "unknown opcode \(frame.opcode)", closeAtOnce: true)
        }
    }

    // MARK: Reading

    private func received(_ frame: WebSocketFrame) {
        // A closing session takes nothing more; only the client's close is still awaited.
        guard !session.buffer.isClosing else { return }
        switch frame.opcode {
        case .text, .binary:
            guard opcode == nil else {
                fail(.protocolError, "a new message began inside a fragmented one")
                return
            }
            opcode = frame.opcode
            collected = frame.unmaskedData
        default:
            guard opcode != nil, collected != nil else {
                fail(.protocolError, "a continuation frame without a message")
                return
            }
            var data = frame.unmaskedData
            collected!.writeBuffer(&data)
        }
        let maxSize = session.context.config.limits.maxMessageSize
        guard let message = collected, message.readableBytes <= maxSize else {
            fail(.tooLarge, "message larger than \(maxSize) bytes")
            return
        }
        guard frame.fin, let kind = opcode else { return }
        opcode = nil
        collected = nil
        let bytes = Array(message.readableBytesView)
        session.context.metrics.framesIn.increment()
        session.context.metrics.bytesIn.increment(by: bytes.count)
        session.receive(bytes, text: kind == .text)
    }

    /// The client closes: answer with its code (RFC 6455 §5.5.1) and end the connection;
    /// or it answers the close this side sent.
    private func receivedClose(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        guard !closeSent else {
            context.close(promise: nil)
            return
        }
        closeSent = true
        session.buffer.close(.normal, "", flush: false)
        session.context.metrics.closed(.normal)
        var data = frame.unmaskedData
        let code: WebSocketErrorCode
        if data.readableBytes == 0 {
            code = .normalClosure
        } else if let sent = data.readInteger(as: UInt16.self), Self.isSendable(sent) {
            // A reason must be UTF-8 (RFC 6455 §5.5.1).
            code =
                String(validating: data.readableBytesView, as: UTF8.self) == nil
                ? .dataInconsistentWithMessage : WebSocketErrorCode(codeNumber: Int(sent))
        } else {
            code = .protocolError
        }
        var answer = context.channel.allocator.buffer(capacity: 2)
        answer.write(webSocketErrorCode: code)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: answer)))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    /// Codes a close frame may carry (RFC 6455 §7.4): 1005, 1006 and 1015 never travel.
    private static func isSendable(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }

    /// Closes the session with `reason`. `closeAtOnce` for a connection that cannot go on
    /// (RFC 6455 §7.1.7): it is closed as soon as the close frame is written, without
    /// waiting for the client's.
    private func fail(_ reason: WebSocketStatusMapping.Close, _ message: String, closeAtOnce: Bool = false) {
        if closeAtOnce { closeOnceSent = true }
        session.buffer.close(reason, message, flush: false)
    }

    // MARK: Liveness

    /// Sends a ping; a ping still unanswered a period later closes the connection (1001).
    private func ping() {
        guard let context, !closeSent else { return }
        if awaitingPong {
            fail(.goingAway, "ping timeout", closeAtOnce: true)
            return
        }
        awaitingPong = true
        var data = context.channel.allocator.buffer(capacity: 8)
        data.writeInteger(NIODeadline.now().uptimeNanoseconds)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: data)), promise: nil)
    }

    // MARK: Writing

    /// Writes what the buffer holds while the socket takes it; the buffer wakes this again
    /// when more arrives, the socket when it is writable again.
    private func drain() {
        // A closed channel takes nothing: what is queued must not count as written.
        guard let context, isStarted, !closeSent, context.channel.isActive else { return }
        var wrote = false
        while context.channel.isWritable, let item = session.buffer.poll() {
            switch item {
            case .frame(let frame):
                let written: EventLoopPromise<Void>?
                if session.isRaw, let sequence = frame.sequence {
                    // A raw client cannot acknowledge: its at-least-once frames count as
                    // confirmed once written to the socket.
                    let promise = context.eventLoop.makePromise(of: Void.self)
                    let session = self.session
                    promise.futureResult.whenSuccess { session.acknowledge(sequence: sequence, id: nil) }
                    written = promise
                } else {
                    written = nil
                }
                let frameOut = WebSocketFrame(fin: true, opcode: frame.isText ? .text : .binary, data: frame.bytes)
                context.write(wrapOutboundOut(frameOut), promise: written)
                wrote = true
                session.wrote(frame)
            case .close(let reason, let message):
                sendClose(reason, message, context: context)
                return
            }
        }
        if wrote { context.flush() }
    }

    private func sendClose(_ reason: WebSocketStatusMapping.Close, _ message: String, context: ChannelHandlerContext) {
        closeSent = true
        session.context.metrics.closed(reason)
        var data = context.channel.allocator.buffer(capacity: 2 + min(message.utf8.count, 123))
        data.write(webSocketErrorCode: reason.errorCode)
        // A close frame's payload is at most 125 bytes: the reason is cut on a character boundary.
        var reasonBytes = Array(message.utf8.prefix(123))
        while !reasonBytes.isEmpty, String(validating: reasonBytes, as: UTF8.self) == nil { reasonBytes.removeLast() }
        data.writeBytes(reasonBytes)
        let written = context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
        if closeOnceSent {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
