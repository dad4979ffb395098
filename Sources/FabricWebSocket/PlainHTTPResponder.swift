import FabricCore
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Answers the HTTP requests of the WebSocket listener that were not upgraded: the refusal
/// the adapter decided (401, 403, 404, 503 … with a JSON body), 400 for a malformed upgrade,
/// 426 for a plain `GET /v1/ws`, 404 for anything else. Every answer closes the connection:
/// this listener serves WebSockets, not HTTP.
final class PlainHTTPResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let decision: UpgradeDecision
    private var path = "/"
    private var malformedUpgrade = false

    init(decision: UpgradeDecision) { self.decision = decision }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = String(head.uri.prefix { $0 != "?" })
        case .body:
            break
        case .end:
            respond(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error as? NIOWebSocketUpgradeError {
        case .invalidUpgradeHeader?:
            // The request comes next (not upgraded) and is answered 400.
            malformedUpgrade = true
        case .unsupportedWebSocketTarget?:
            // The adapter refused the upgrade; the request comes next and gets the refusal.
            break
        default:
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The answer to a request the adapter had nothing to decide about.
    private func unupgraded() -> UpgradeRefusal {
        if malformedUpgrade {
            return UpgradeRefusal(
                .rejected, "a WebSocket upgrade needs Sec-WebSocket-Key and Sec-WebSocket-Version: 13", metric: "rejected")
        }
        if path == "/v1/ws" {
            return UpgradeRefusal(
                .rejected, "this endpoint speaks WebSocket only", metric: "plain-http", http: .upgradeRequired)
        }
        return UpgradeRefusal(.notFound, "no WebSocket endpoint at \(path.prefix(128))", metric: "not-found")
    }

    private func respond(context: ChannelHandlerContext) {
        let refusal = decision.refusal ?? unupgraded()
        var headers = HTTPHeaders()
        for field in refusal.headers { headers.add(name: field.name.rawName, value: field.value) }
        headers.replaceOrAdd(name: "content-length", value: String(refusal.body.count))
        let head = HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: refusal.status.code), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: refusal.body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
