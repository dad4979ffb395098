import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// What Hummingbird's `Application` does around its responder, for fabric's own HTTP/2 and
/// HTTP/1.1 connection handlers: the request context, a `500` for an error nothing turned
/// into a response, the `Date` field, and the response written to its sink.
struct RequestAnswerer<Responder: HTTPResponder>: Sendable where Responder.Context == HTTPRequestContext {
    let responder: Responder

    /// Starts answering one request on `executor`'s event loop, inside the read that
    /// completed it: the task runs there until it first waits (the NATS request), with no hop
    /// to a connection task first. It is the adapter's own code, which never blocks.
    func start(
        _ head: HTTPRequest, body: ByteBuffer, to sink: some HTTPResponseSink, channel: any Channel, isHTTP2: Bool,
        executor: EventLoopExecutor, logger: Logger
    ) -> Task<Void, Never> {
        Task.immediate(executorPreference: executor) {
            await answer(head, body: body, to: sink, channel: channel, isHTTP2: isHTTP2, logger: logger)
        }
    }

    /// Answers one request; `isHTTP2` tells the ingress which protocol it came over.
    func answer(
        _ head: HTTPRequest, body: ByteBuffer, to sink: some HTTPResponseSink, channel: any Channel, isHTTP2: Bool,
        logger: Logger
    ) async {
        defer { sink.taskEnded() }
        let request = Request(head: head, body: RequestBody(buffer: body))
        let context = HTTPRequestContext(source: .init(channel: channel, logger: logger), isHTTP2: isHTTP2)
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
                try await body.write(SinkBodyWriter(sink: sink, head: head))
            } else {
                // A stream: its head goes out now, not with its first event.
                sink.send(head: head, body: nil, trailers: nil, end: false)
                try await body.write(SinkBodyWriter(sink: sink, head: nil))
            }
        } catch {
            sink.abort()
        }
    }
}
