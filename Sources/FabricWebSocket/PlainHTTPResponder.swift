import FabricCore
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Answers the HTTP requests of the WebSocket listener that were not upgraded: the refusal
/// the adapter decided (401, 403, 404, 503 … with a JSON body), 400 for a malformed upgrade,
/// 426 for a plain `GET /v1/ws`, 404 for anything else. Every answer closes the connection:
/// this listener serves WebSockets, not HTTP.
///
/// It answers on the request's head, not its end: a client that announces a body and never
/// sends it must not keep a connection (or the adapter's shutdown) waiting. A connection
/// that sends no complete upgrade within `handshakeTimeout`, or closes its side before one,
/// is closed.
final class PlainHTTPResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let decision: UpgradeDecision
    private let metrics: WebSocketMetrics
    private let handshakeTimeout: TimeAmount
    private var malformedUpgrade = false
    private var answered = false
    private var timeout: Scheduled<Void>?

    init(decision: UpgradeDecision, metrics: WebSocketMetrics, handshakeTimeout: TimeAmount) {
        self.decision = decision
        self.metrics = metrics
        self.handshakeTimeout = handshakeTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        timeout = context.eventLoop.scheduleTask(in: handshakeTimeout) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Removed at the upgrade: the session's own timers take over.
        timeout?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data), !answered else { return }
        answered = true
        respond(path: String(head.uri.prefix { $0 != "?" }), context: context)
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
        if case ChannelEvent.inputClosed = event {
            // The server allows half-closed connections; one that stops sending before an
            // answer is gone. (After an answer the write's completion closes it; an upgrade
            // being decided is not carried out.)
            if decision.isPending {
                decision.clientHalfClosed()
            } else if !answered {
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The answer to a request the adapter had nothing to decide about.
    private func unupgraded(path: String) -> UpgradeRefusal {
        if malformedUpgrade {
            return UpgradeRefusal(
                .rejected, "a WebSocket upgrade needs Sec-WebSocket-Key and Sec-WebSocket-Version: 13", metric: "rejected")
        }
        if path == "/v1/ws" {
            return UpgradeRefusal(
                .rejected, "this endpoint speaks WebSocket only", metric: "rejected", http: .upgradeRequired)
        }
        return UpgradeRefusal(.notFound, "no WebSocket endpoint at \(path.prefix(128))", metric: "not-found")
    }

    private func respond(path: String, context: ChannelHandlerContext) {
        let refusal: UpgradeRefusal
        if let decided = decision.refusal {
            refusal = decided
        } else {
            refusal = unupgraded(path: path)
            metrics.refused(refusal.metric)
        }
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
