import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// NIO's HTTP/1 parts to HTTPTypes' and back, as `HTTP1ToHTTPServerCodec` does, with one
/// difference: a request target in origin form (`/path?query`, nearly every request) is the
/// path as it stands.
///
/// The library parses every target with Foundation's `URLComponents` to find the path of an
/// absolute-form one (`http://host/path`, sent to proxies), and for a target starting with
/// `/` returns it unchanged: a parse for nothing, about 1 % of an HTTP/1.1 request's CPU.
/// Other forms still go through the library.
final class HTTP1TypesCodec: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let secure: Bool

    /// `secure`: requests carry the `https` scheme.
    init(secure: Bool) {
        self.secure = secure
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            do {
                context.fireChannelRead(wrapInboundOut(.head(try Self.request(head, secure: secure))))
            } catch {
                context.fireErrorCaught(error)
            }
        case .body(let body):
            context.fireChannelRead(wrapInboundOut(.body(body)))
        case .end(let trailers):
            context.fireChannelRead(wrapInboundOut(.end(trailers.map { HTTPFields($0, splitCookie: false) })))
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let response):
            context.write(wrapOutboundOut(.head(HTTPResponseHead(response))), promise: promise)
        case .body(let body):
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: promise)
        case .end(let trailers):
            context.write(wrapOutboundOut(.end(trailers.map(HTTPHeaders.init))), promise: promise)
        }
    }

    /// The request of `head`: what `HTTPRequest(head, secure:splitCookie: false)` gives.
    static func request(_ head: HTTPRequestHead, secure: Bool) throws -> HTTPRequest {
        guard head.uri.utf8.first == UInt8(ascii: "/") else {
            return try HTTPRequest(head, secure: secure, splitCookie: false)
        }
        return HTTPRequest(
            method: try HTTPRequest.Method(head.method), scheme: secure ? "https" : "http",
            authority: head.headers.first(name: "Host"), path: head.uri,
            headerFields: HTTPFields(head.headers, splitCookie: false))
    }
}
