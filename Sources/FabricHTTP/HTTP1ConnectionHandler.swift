import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// The last handler of an HTTP/1.1 connection: collects each request's head and body, hands
/// the request over (`start`) and writes its response, one request at a time.
///
/// It replaces Hummingbird's `NIOAsyncChannel` and connection task, so that a request starts
/// inside the read that completed it (`docs/architecture.md`). A pipelined request (sent
/// before the previous answer) is held, and reading stops, until the answer has ended: NIO's
/// pipelining handler would stop and restart reading around every request, two `epoll_ctl`
/// calls each, though clients rarely pipeline.
final class HTTP1ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Starts answering a request; set once, before the connection is active.
    var start: ((HTTPRequest, ByteBuffer) -> Task<Void, Never>)?

    private let bodyLimit: Int
    private var context: ChannelHandlerContext?
    private var tasks = InFlightTasks()
    /// The request being read, until it is handed over.
    private var head: HTTPRequest?
    private var body: ByteBuffer?
    /// The request was handed over; what more of its body arrives is dropped.
    private var dispatched = false
    /// Bytes of the body dropped after the request was handed over.
    private var dropped = 0
    /// Its end has been read.
    private var requestEnded = false
    /// A response is being written.
    private var responding = false
    /// Its head went out without a length: an event stream, open until the server ends it.
    private var streaming = false
    /// The connection closes once the response ends.
    private var closeAfterResponse = false
    /// The client has half-closed: the connection closes once nothing is left to answer.
    private var inputClosed = false
    /// Parts of pipelined requests, held until the answer before them has ended.
    private var queued = CircularBuffer<HTTPRequestPart>()
    /// Reading is stopped while requests are held; a read asked for meanwhile waits.
    private var holdingReads = false
    private var readPending = false
    /// The connection is closing: nothing more is read or started (RFC 9112 §9.6).
    private var closing = false
    /// `answered` is taking up held requests: an answer that ends inside it lets it go on
    /// instead of nesting another call.
    private var draining = false
    /// What followed a request still being answered could not be parsed: `400` after it.
    private var badRequestPending = false
    /// The task answering the current request, cancelled if the connection closes first,
    /// and the count of requests started (an answer written inside `start` may start the
    /// next held request before `start` returns).
    private var task: Task<Void, Never>?
    private var started = 0

    /// A body past `bodyLimit` is handed over at once with its first `bodyLimit + 1` bytes
    /// or more, for the responder to refuse.
    init(bodyLimit: Int) {
        self.bodyLimit = bodyLimit
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // Hummingbird's `HTTPConnectionStateHandler`, in front, does not pass `channelInactive` on.
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.channel.closeFuture.whenComplete { _ in handler.value.connectionClosed() }
    }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// The connection has closed: the client is gone, so an answer still being made (an event
    /// stream) can stop.
    private func connectionClosed() {
        closing = true
        if responding { task?.cancel() }
        task = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // NIO's decoder hands over what it had buffered even after a close.
        guard !closing else { return }
        let part = unwrapInboundIn(data)
        if !queued.isEmpty || (responding && requestEnded) {
            queued.append(part)
            holdingReads = true
            return
        }
        process(part, context: context)
    }

    func read(context: ChannelHandlerContext) {
        if holdingReads {
            readPending = true
        } else {
            context.read()
        }
    }

    private func process(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        guard !closing else { return }
        switch part {
        case .head(let head):
            self.head = head
            body = nil
            (dispatched, requestEnded, responding, dropped) = (false, false, true, 0)
            if Self.asksToClose(head.headerFields) { closeAfterResponse = true }
            // A declared length past the limit is refused before a byte of the body is read;
            // a client that waits to hear it may send its body is told to (RFC 9110 §10.1.1).
            if let declared = head.headerFields.value(.contentLength).flatMap(Int.init), declared > bodyLimit {
                dispatch()
            } else if head.headerFields.value(.expect).map({ Self.equalsIgnoringCase($0.utf8, "100-continue".utf8) }) == true {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
        case .body(let bytes):
            guard !dispatched else {
                // A body refused for its size is read to its end, up to twice the limit, so
                // that the client reads the answer rather than a reset and the connection
                // goes on; past that it is closed.
                dropped += bytes.readableBytes
                if dropped > 2 * bodyLimit { close(context) }
                return
            }
            if body == nil {
                body = bytes
            } else {
                body!.writeImmutableBuffer(bytes)
            }
            if body!.readableBytes > bodyLimit { dispatch() }
        case .end:
            requestEnded = true
            dispatch()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // The client has sent all it will: answer what it asked, then close.
            inputClosed = true
            if !responding, queued.isEmpty { close(context) }
            // An event stream's client that stops sending has gone (SSE clients never
            // half-close): end the stream now rather than at its next heartbeat.
            if streaming { task?.cancel() }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError, !closing else {
            close(context)
            return
        }
        // Unparseable input is answered 400 and the connection closed, but only after the
        // answers to the requests before it: written now, it would read as their answer.
        if responding || !queued.isEmpty {
            badRequestPending = true
            holdingReads = true
        } else {
            refuseBadRequest(context)
        }
    }

    private func dispatch() {
        guard let head, !dispatched, let start else { return }
        dispatched = true
        let body = self.body ?? ByteBuffer()
        self.body = nil
        tasks.started()
        started += 1
        let request = started
        let task = start(head, body)
        if started == request { self.task = task }
    }

    // MARK: Responses

    /// Writes a response's head, body and end, each part when present, and flushes;
    /// `promise` completes when the last part is written. Called on the event loop.
    func write(
        head: HTTPResponse?, body: ByteBuffer?, trailers: HTTPFields?, end: Bool, promise: EventLoopPromise<Void>?
    ) {
        guard let context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        if var head {
            if Self.asksToClose(head.headerFields) { closeAfterResponse = true }
            if closeAfterResponse { head.headerFields[.connection] = "close" }
            streaming = !end && head.headerFields.value(.contentLength) == nil
            context.write(wrapOutboundOut(.head(head)), promise: body == nil && !end ? promise : nil)
        }
        if let body {
            context.write(wrapOutboundOut(.body(body)), promise: end ? nil : promise)
        }
        guard end else {
            context.flush()
            return
        }
        responding = false
        streaming = false
        self.head = nil
        if closeAfterResponse {
            // Closed once the end is written: closing at once could drop what the socket has
            // not taken yet.
            let written = context.eventLoop.makePromise(of: Void.self)
            context.write(wrapOutboundOut(.end(trailers)), promise: written)
            written.futureResult.cascade(to: promise)
            context.flush()
            close(context, after: written.futureResult)
            return
        }
        context.write(wrapOutboundOut(.end(trailers)), promise: promise)
        context.flush()
        if !draining { answered(context: context) }
    }

    /// Takes up the requests held while the answer was written, and reading again once
    /// none is left; then a pending 400, or the close of a half-closed connection.
    private func answered(context: ChannelHandlerContext) {
        draining = true
        while !closing, !queued.isEmpty, !(responding && requestEnded) {
            process(queued.removeFirst(), context: context)
        }
        draining = false
        guard !closing, queued.isEmpty, !responding else { return }
        if badRequestPending {
            refuseBadRequest(context)
        } else if inputClosed {
            close(context)
        } else if holdingReads {
            holdingReads = false
            if readPending {
                readPending = false
                context.read()
            }
        }
    }

    private func refuseBadRequest(_ context: ChannelHandlerContext) {
        let head = HTTPResponse(
            status: .badRequest, headerFields: [.connection: "close", .contentLength: "0", .date: HTTPDate.now()])
        let written = context.eventLoop.makePromise(of: Void.self)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: written)
        context.flush()
        close(context, after: written.futureResult)
    }

    private func close(_ context: ChannelHandlerContext, after written: EventLoopFuture<Void>? = nil) {
        guard !closing || written != nil else { return }
        closing = true
        guard let written else {
            context.close(promise: nil)
            return
        }
        let channel = context.channel
        written.whenComplete { _ in channel.close(promise: nil) }
    }

    /// Closes the connection: a response cannot be abandoned halfway on HTTP/1.1.
    func abort() {
        guard let context else { return }
        close(context)
    }

    /// A request's task has ended.
    func taskEnded() { tasks.ended() }

    /// Completes when no request's task is running.
    func whenTasksEnd(on eventLoop: any EventLoop) -> EventLoopFuture<Void> { tasks.whenNone(on: eventLoop) }

    /// A `Connection` field that contains `close`, in any case. Compared in place: it is asked
    /// of every request and response, and `lowercased()` allocated a string each time.
    private static func asksToClose(_ fields: HTTPFields) -> Bool {
        guard var rest = fields[.connection]?.utf8[...] else { return false }
        while rest.count >= 5 {
            if equalsIgnoringCase(rest.prefix(5), "close".utf8) { return true }
            rest = rest.dropFirst()
        }
        return false
    }

    /// ASCII case-insensitive equality of two byte sequences.
    private static func equalsIgnoringCase(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        let lower = { (byte: UInt8) in byte >= 65 && byte <= 90 ? byte + 32 : byte }
        return a.count == b.count && zip(a, b).allSatisfy { lower($0) == lower($1) }
    }
}
