import HTTPTypes
import NIOCore
import NIOHPACK
import NIOHTTP2

/// The one handler of an HTTP/2 connection: reads each stream's request off the frames and
/// writes its response, without a child channel per stream (`docs/architecture.md`).
///
/// nio-http2's `NIOHTTP2Handler` in front of it keeps the protocol's state, checks the frames,
/// and buffers what flow control holds back; header blocks are checked here, as they are
/// converted (`HTTP2HeaderBlock`). What the multiplexer would do
/// besides is done here: giving the client window back as its data is taken, and ending a
/// stream whose response went out before its request did. So is what nio-http2's connection
/// management handler would do: closing idle and old connections, and the graceful close
/// (`HTTP2ConnectionHandler+Closing.swift`).
final class HTTP2ConnectionHandler: ChannelInboundHandler, NIOHTTP2FrameDelegate {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    /// A stream whose request is being read or answered.
    private struct OpenStream {
        var head: HTTPRequest
        var body: ByteBuffer?
        /// Handed to the connection's task.
        var dispatched = false
        /// Its response has ended.
        var answered = false
        /// The client has ended its side.
        var remoteClosed: Bool
        /// When its header block arrived.
        let opened: NIODeadline
        /// Bytes that arrived after the request was handed over, read and dropped.
        var dropped = 0
        /// A WINDOW_UPDATE for it is written but not yet taken by the socket.
        var updating = false
        /// The task answering it, cancelled if the client resets the stream first.
        var task: Task<Void, Never>?
    }

    /// nio-http2's window for the whole connection, which a SETTINGS frame cannot change.
    static let connectionWindow = 65_535

    private var streams: [HTTP2StreamID: OpenStream] = [:]
    /// Starts answering a request; set once, before the connection is active.
    var start: ((HTTP2StreamID, HTTPRequest, ByteBuffer) -> Task<Void, Never>)?
    private var tasks = InFlightTasks()
    private let bodyLimit: Int
    private let streamWindow: Int
    private let requestTimeout: TimeAmount
    private let graceTimeout: TimeAmount?
    /// The close that ends the grace period after the connection's first GOAWAY.
    private var graceClose: Scheduled<Void>?
    private(set) var context: ChannelHandlerContext?
    /// The check for requests not received in time, while one is being read.
    private var sweep: Scheduled<Void>?
    /// nio-http2 has sent a GOAWAY for a connection error.
    private var connectionFailed = false
    /// A WINDOW_UPDATE for the connection is written but not yet taken by the socket.
    private var updatingConnection = false
    /// Closes a connection without a stream for this long; nil: never.
    let idleTimeout: TimeAmount?
    /// Closes a connection this old, gracefully; nil: never.
    let maxAge: TimeAmount?
    /// Since when no stream has been open; nil while one is.
    var idleSince: NIODeadline? = .now()
    /// The check for an idle connection, and the end of an old one.
    var idleCheck: Scheduled<Void>?
    var ageLimit: Scheduled<Void>?
    /// The highest stream the client opened.
    var lastStreamID = HTTP2StreamID.rootStream
    /// How far the graceful close has come.
    var closing = Closing.open
    /// Timers started (on `channelActive`, or at once on a channel already active).
    var started = false

    /// Hands complete requests to `start`; a body past `bodyLimit` is handed over at once
    /// with its first `bodyLimit + 1` bytes or more, for the responder to refuse.
    /// A request not received in full within `requestTimeout` is answered 408; the
    /// connection is closed `graceTimeout` after its first GOAWAY.
    /// A connection without a stream for `idleTimeout`, or `maxAge` old, is closed gracefully.
    init(
        bodyLimit: Int, streamWindow: Int, requestTimeout: TimeAmount, graceTimeout: TimeAmount?,
        idleTimeout: TimeAmount? = nil, maxAge: TimeAmount? = nil
    ) {
        self.bodyLimit = bodyLimit
        self.streamWindow = streamWindow
        self.requestTimeout = requestTimeout
        self.graceTimeout = graceTimeout
        self.idleTimeout = idleTimeout
        self.maxAge = maxAge
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // On the TLS listener this handler comes after ALPN, to a channel already active.
        if context.channel.isActive { startTimers(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        cancelTimers()
    }

    func channelActive(context: ChannelHandlerContext) {
        startTimers(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        for stream in streams.values where !stream.answered { stream.task?.cancel() }
        streams.removeAll()
        cancelTimers()
        context.fireChannelInactive()
    }

    private func cancelTimers() {
        sweep?.cancel()
        graceClose?.cancel()
        idleCheck?.cancel()
        ageLimit?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.payload {
        case .headers(let headers): received(headers, on: frame.streamID, context: context)
        case .data(let data): received(data, on: frame.streamID, context: context)
        case .ping(let data, ack: true): receivedPingAck(data, context: context)
        default: break
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? NIOHTTP2WindowUpdatedEvent {
            windowChanged(event, context: context)
        } else if let event = event as? StreamClosedEvent {
            // A stream reset before its answer ended: the client is gone, and so is the
            // reason to go on (an event stream ends at once; others stop where they can).
            if let stream = removeStream(event.streamID, context: context), !stream.answered, event.reason != nil {
                stream.task?.cancel()
            }
        } else if event is ChannelShouldQuiesceEvent {
            startClosing(context: context)
        } else if case ChannelEvent.inputClosed = event {
            // The listener allows half-closed sockets (for HTTP/1.1); an HTTP/2 client that
            // stops sending has gone, and nothing more can be answered.
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // nio-http2 reports a stream error (it has reset the stream and goes on; one met while
        // writing comes as a `StreamError`) and a connection error alike; only the second
        // comes after a GOAWAY with an error code, and then the connection must be closed
        // (RFC 9113 §5.4.1). Errors from elsewhere (TLS, the socket) end it too.
        if !connectionFailed, error is any NIOHTTP2Error || error is NIOHTTP2Errors.StreamError { return }
        context.close(promise: nil)
    }

    /// Takes a stream out of the table; the connection may then be idle, or done closing.
    @discardableResult
    private func removeStream(_ id: HTTP2StreamID, context: ChannelHandlerContext) -> OpenStream? {
        guard let stream = streams.removeValue(forKey: id) else { return nil }
        streamGone(context: context)
        return stream
    }

    /// A stream has left the table.
    private func streamGone(context: ChannelHandlerContext) {
        guard streams.isEmpty else { return }
        idleSince = .now()
        if closing == .closing { closeSoon(context: context) }
    }

    /// True while a stream is being read or answered.
    var hasStreams: Bool { !streams.isEmpty }

    /// nio-http2's report of each frame it writes (this handler is its frame delegate).
    func wroteFrame(_ frame: HTTP2Frame) {
        guard case .goAway(_, let code, _) = frame.payload else { return }
        if code != .noError {
            connectionFailed = true
        } else if graceClose == nil, let graceTimeout, let context {
            // The management handler's graceful close waits for the client to answer its PING
            // before it counts the grace time; a client that never does would keep the
            // connection. `graceful_close_timeout` is the time a client gets after the GOAWAY.
            let channel = context.channel
            graceClose = context.eventLoop.scheduleTask(in: graceTimeout) { channel.close(promise: nil) }
        }
    }

    // MARK: Requests

    private func received(_ headers: HTTP2Frame.FramePayload.Headers, on id: HTTP2StreamID, context: ChannelHandlerContext) {
        if streams[id] != nil {
            // Trailers, which nio-http2 lets through only with END_STREAM: the request is
            // complete. Their fields are checked, not forwarded.
            do {
                try HTTP2HeaderBlock.checkTrailers(headers.headers)
            } catch {
                resetMalformed(id, context: context)
                return
            }
            streams[id]?.remoteClosed = true
            dispatch(id)
            return
        }
        let head: HTTPRequest
        do {
            head = try HTTP2HeaderBlock.request(headers.headers)
        } catch {
            refuse(id, error, headers.headers, ended: headers.endStream, context: context)
            return
        }
        streams[id] = OpenStream(head: head, remoteClosed: headers.endStream, opened: .now())
        idleSince = nil
        if id > lastStreamID { lastStreamID = id }
        // A declared length past the limit is refused before a byte of the body is read.
        let declared = head.headerFields.value(.contentLength).flatMap(Int.init) ?? 0
        if headers.endStream || declared > bodyLimit {
            dispatch(id)
        } else if sweep == nil {
            scheduleSweep(context: context)
        }
    }

    private func received(_ data: HTTP2Frame.FramePayload.Data, on id: HTTP2StreamID, context: ChannelHandlerContext) {
        // Taken out and put back so that appending does not copy the body.
        guard var stream = streams.removeValue(forKey: id) else { return }
        if data.endStream { stream.remoteClosed = true }
        if stream.dispatched {
            // A body refused for its size: the client may finish sending it, up to twice the
            // limit, so that it reads the answer rather than a reset (curl and AsyncHTTPClient
            // report a reset while uploading as an error, RFC 9113 §8.1 or not).
            stream.dropped += data.data.readableBytes
            if stream.dropped > 2 * bodyLimit {
                write(id, .rstStream(stream.answered ? .noError : .cancel), promise: nil, context)
                context.flush()
                streamGone(context: context)
                return
            }
        } else if case .byteBuffer(let bytes) = data.data {
            if stream.body == nil {
                stream.body = bytes
            } else {
                stream.body!.writeImmutableBuffer(bytes)
            }
        }
        streams[id] = stream
        if stream.remoteClosed || (stream.body?.readableBytes ?? 0) > bodyLimit { dispatch(id) }
    }

    private func dispatch(_ id: HTTP2StreamID) {
        guard var stream = streams[id], !stream.dispatched, let start else { return }
        let body = stream.body ?? ByteBuffer()
        stream.dispatched = true
        stream.body = nil
        streams[id] = stream
        tasks.started()
        let task = start(id, stream.head, body)
        // The answer may already be written, and the stream gone, when `start` returns.
        streams[id]?.task = task
    }

    /// A malformed request header block: 400 with the reason, then, if the client has not
    /// ended its side, the stream error RFC 9113 §8.1.1 requires (it allows the answer first).
    private func refuse(
        _ id: HTTP2StreamID, _ malformed: HTTP2HeaderBlock.Malformed, _ headers: HPACKHeaders, ended: Bool,
        context: ChannelHandlerContext
    ) {
        answerItself(
            id, .badRequest, reason: "malformed HTTP/2 request: " + malformed.reason,
            toHead: headers.first(name: ":method") == "HEAD", context: context)
        if !ended {
            write(id, .rstStream(.protocolError), promise: nil, context)
            context.flush()
        }
    }

    /// An answer the handler makes itself, with its reason as plain text, flushed: nio-http2
    /// holds DATA back for flow control until a flush, and drops what it holds when the
    /// stream is reset. An answer to HEAD has the reason's length and no body: nio-http2
    /// refuses any DATA on such a stream, which would then never end.
    private func answerItself(
        _ id: HTTP2StreamID, _ status: HTTPResponse.Status, reason: String?, toHead: Bool,
        context: ChannelHandlerContext
    ) {
        var head = HTTPResponse(status: status, headerFields: [.date: HTTPDate.now()])
        var body = reason.map { ByteBuffer(string: $0 + "\n") }
        head.headerFields[.contentLength] = String(body?.readableBytes ?? 0)
        if body != nil { head.headerFields[.contentType] = "text/plain; charset=utf-8" }
        if toHead { body = nil }
        let block = HTTP2HeaderBlock.response(head)
        write(id, .headers(.init(headers: block, endStream: body == nil)), promise: nil, context)
        if let body { write(id, .data(.init(data: .byteBuffer(body), endStream: true)), promise: nil, context) }
        context.flush()
    }

    // MARK: Requests not received in time

    private func scheduleSweep(context: ChannelHandlerContext, at deadline: NIODeadline? = nil) {
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let deadline = deadline ?? .now() + requestTimeout
        sweep = context.eventLoop.scheduleTask(deadline: deadline) { handler.value.sweepStalled() }
    }

    /// Answers 408 to each request whose body has not all arrived in time, and ends each
    /// answered stream whose client is still sending then: one check per connection for all
    /// of them rather than a timer per stream.
    private func sweepStalled() {
        sweep = nil
        guard let context else { return }
        let expired = NIODeadline.now() - requestTimeout
        var next: NIODeadline?
        for (id, stream) in streams where !stream.remoteClosed && (!stream.dispatched || stream.answered) {
            guard stream.opened <= expired else {
                next = min(next ?? stream.opened, stream.opened)
                continue
            }
            if !stream.dispatched {
                let reason = "the request was not received within \(requestTimeout.nanoseconds / 1_000_000) ms"
                answerItself(id, .requestTimeout, reason: reason, toHead: stream.head.method == .head, context: context)
            }
            // Answered, and the client has not finished sending in time: stop it (RFC 9113 §8.1).
            removeStream(id, context: context)
            write(id, .rstStream(.noError), promise: nil, context)
        }
        context.flush()
        if let next { scheduleSweep(context: context, at: next + requestTimeout) }
    }

    // MARK: Flow control

    /// Gives the client its window back once half of it is used: a body is taken as it
    /// arrives (up to the body limit), and what arrives after it is read and dropped.
    ///
    /// nio-http2 raises its own count of the window only when it writes the WINDOW_UPDATE;
    /// while one waits for a socket that is not writable, no other is sent, or each DATA
    /// frame would widen the window again from the stale count.
    private func windowChanged(_ event: NIOHTTP2WindowUpdatedEvent, context: ChannelHandlerContext) {
        guard let inbound = event.inboundWindowSize else { return }
        let id = event.streamID
        let target: Int
        if id == .rootStream {
            guard !updatingConnection else { return }
            target = Self.connectionWindow
        } else {
            guard let stream = streams[id], !stream.remoteClosed, !stream.updating else { return }
            target = streamWindow
        }
        guard inbound <= target / 2 else { return }
        if id == .rootStream { updatingConnection = true } else { streams[id]?.updating = true }
        let written = context.eventLoop.makePromise(of: Void.self)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        written.futureResult.whenComplete { _ in handler.value.windowUpdateWritten(id) }
        let frame = HTTP2Frame(streamID: id, payload: .windowUpdate(windowSizeIncrement: target - inbound))
        context.writeAndFlush(wrapOutboundOut(frame), promise: written)
    }

    private func windowUpdateWritten(_ id: HTTP2StreamID) {
        if id == .rootStream {
            updatingConnection = false
        } else {
            streams[id]?.updating = false
        }
    }

    // MARK: Responses

    /// Writes a response's head, body and trailers, each part when present, and flushes;
    /// `promise` completes when the last part is written. Called on the event loop.
    func write(
        _ id: HTTP2StreamID, head: HTTPResponse?, body: ByteBuffer?, trailers: HTTPFields?, end: Bool,
        promise: EventLoopPromise<Void>?
    ) {
        guard let context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        // The last frame written carries the promise and, at the end, END_STREAM.
        if let head {
            let last = body == nil && trailers == nil
            let block = HTTP2HeaderBlock.response(head)
            write(id, .headers(.init(headers: block, endStream: last && end)), promise: last ? promise : nil, context)
        }
        if let body {
            let last = trailers == nil
            write(id, .data(.init(data: .byteBuffer(body), endStream: last && end)), promise: last ? promise : nil, context)
        }
        if let trailers {
            write(id, .headers(.init(headers: HTTP2HeaderBlock.trailers(trailers), endStream: true)), promise: promise, context)
        }
        if head == nil, body == nil, trailers == nil {
            write(id, .data(.init(data: .byteBuffer(ByteBuffer()), endStream: end)), promise: promise, context)
        }
        if end { answered(id, context: context) }
        context.flush()
    }

    private func write(
        _ id: HTTP2StreamID, _ payload: HTTP2Frame.FramePayload, promise: EventLoopPromise<Void>?,
        _ context: ChannelHandlerContext
    ) {
        context.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: payload)), promise: promise)
    }

    /// A request's task has ended.
    func taskEnded() { tasks.ended() }

    /// Completes when no request's task is running.
    func whenTasksEnd(on eventLoop: any EventLoop) -> EventLoopFuture<Void> { tasks.whenNone(on: eventLoop) }

    /// Malformed trailers: the request is not whole, and its stream ends with PROTOCOL_ERROR
    /// (RFC 9113 §8.1.1); a task already answering it is cancelled.
    private func resetMalformed(_ id: HTTP2StreamID, context: ChannelHandlerContext) {
        guard let stream = removeStream(id, context: context) else { return }
        if !stream.answered { stream.task?.cancel() }
        write(id, .rstStream(.protocolError), promise: nil, context)
        context.flush()
    }

    /// Ends a stream whose response cannot be completed.
    func reset(_ id: HTTP2StreamID) {
        guard let context, streams[id] != nil else { return }
        removeStream(id, context: context)
        context.writeAndFlush(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .rstStream(.internalError))), promise: nil)
    }

    /// The response is complete; a client still sending is given until the request timeout.
    private func answered(_ id: HTTP2StreamID, context: ChannelHandlerContext) {
        guard streams[id]?.remoteClosed == false else { return }
        streams[id]?.answered = true
        if sweep == nil { scheduleSweep(context: context) }
    }
}
