import HTTPTypes
import NIOCore
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
    var start: ((HTTPRequest, ByteBuffer) -> Void)?

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
    /// The connection closes once the response ends.
    private var closeAfterResponse = false
    /// The client has half-closed: the connection closes once nothing is left to answer.
    private var inputClosed = false
    /// Parts of pipelined requests, held until the answer before them has ended.
    private var queued = CircularBuffer<HTTPRequestPart>()
    /// Reading is stopped while requests are held; a read asked for meanwhile waits.
    private var holdingReads = false
    private var readPending = false

    /// A body past `bodyLimit` is handed over at once with its first `bodyLimit + 1` bytes
    /// or more, for the responder to refuse.
    init(bodyLimit: Int) {
        self.bodyLimit = bodyLimit
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
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
        switch part {
        case .head(let head):
            self.head = head
            body = nil
            (dispatched, requestEnded, responding, dropped) = (false, false, true, 0)
            if let connection = head.headerFields[.connection], connection.lowercased().contains("close") {
                closeAfterResponse = true
            }
            // A declared length past the limit is refused before a byte of the body is read;
            // a client that waits to hear it may send its body is told to (RFC 9110 §10.1.1).
            if let declared = head.headerFields[.contentLength].flatMap(Int.init), declared > bodyLimit {
                dispatch()
            } else if head.headerFields[.expect]?.lowercased() == "100-continue" {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
        case .body(let bytes):
            guard !dispatched else {
                // A body refused for its size is read to its end, up to twice the limit, so
                // that the client reads the answer rather than a reset and the connection
                // goes on; past that it is closed.
                dropped += bytes.readableBytes
                if dropped > 2 * bodyLimit { context.close(promise: nil) }
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
            if !responding, queued.isEmpty { context.close(promise: nil) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func dispatch() {
        guard let head, !dispatched else { return }
        dispatched = true
        let body = self.body ?? ByteBuffer()
        self.body = nil
        tasks.started()
        start?(head, body)
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
            if head.headerFields[.connection]?.lowercased().contains("close") == true { closeAfterResponse = true }
            if closeAfterResponse { head.headerFields[.connection] = "close" }
            context.write(wrapOutboundOut(.head(head)), promise: body == nil && !end ? promise : nil)
        }
        if let body {
            context.write(wrapOutboundOut(.body(body)), promise: end ? nil : promise)
        }
        if end {
            context.write(wrapOutboundOut(.end(trailers)), promise: promise)
            responding = false
            self.head = nil
        }
        context.flush()
        guard end else { return }
        if closeAfterResponse {
            context.close(promise: nil)
        } else {
            answered(context: context)
        }
    }

    /// Takes up the requests held while the answer was written, and reading again once
    /// none is left; closes a half-closed connection with nothing left to answer.
    private func answered(context: ChannelHandlerContext) {
        while !queued.isEmpty, !(responding && requestEnded) {
            process(queued.removeFirst(), context: context)
        }
        if queued.isEmpty, holdingReads {
            holdingReads = false
            if readPending {
                readPending = false
                context.read()
            }
        }
        if inputClosed, !responding, queued.isEmpty { context.close(promise: nil) }
    }

    /// Closes the connection: a response cannot be abandoned halfway on HTTP/1.1.
    func abort() { context?.close(promise: nil) }

    /// A request's task has ended.
    func taskEnded() { tasks.ended() }

    /// Completes when no request's task is running.
    func whenTasksEnd(on eventLoop: any EventLoop) -> EventLoopFuture<Void> { tasks.whenNone(on: eventLoop) }
}
