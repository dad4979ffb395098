import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// One `fabric bench ws` client connection on a plain SwiftNIO channel.
///
/// No task per connection: a thousand subscribers in the measuring process would otherwise
/// cost a task wake-up each per delivery, and the client, not the server, would set the
/// latency figure. The same client measures the adapter and nats-server's own listener.
enum BenchSocket {
    /// Connects, upgrades and returns once the connection is ready (subscribed, when `topic`).
    static func connect(
        _ target: BenchWebSocket.Target, topic: Bool, onPayload: @escaping @Sendable (UInt64) -> Void
    ) async throws -> any Channel {
        let base: String
        var headers = HTTPHeaders()
        let nats: Bool
        switch target {
        case .fabric(let url, let token, _):
            base = url + "/v1/ws"
            headers.add(name: "Authorization", value: "Bearer \(token)")
            nats = false
        case .nats(let url, _):
            base = url
            nats = true
        }
        guard let url = URLComponents(string: base), let host = url.host, let port = url.port else {
            throw BenchError("not a ws:// URL: \(base)")
        }
        headers.add(name: "Host", value: "\(host):\(port)")
        headers.add(name: "Content-Length", value: "0")
        let group = MultiThreadedEventLoopGroup.singleton
        let ready = group.next().makePromise(of: Void.self)
        let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: 1 << 20, automaticErrorHandling: true) { channel, _ in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    BenchFrameHandler(nats: nats, topic: topic, ready: ready, onPayload: onPayload))
            }
        }
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                // The first frame can come in the same read as the 101: keep it.
                channel.pipeline.addHTTPClientHandlers(
                    leftOverBytesStrategy: .forwardBytes,
                    withClientUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
            }
            .connect(host: host, port: port).get()
        let path = url.path.isEmpty ? "/" : url.path
        channel.write(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)))
            .whenFailure { ready.fail($0) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        // A refused upgrade leaves the promise open: give up after a while.
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(30)) { channel.close(promise: nil) }
        channel.closeFuture.whenComplete { _ in ready.fail(BenchError("a \(target.name) client was closed")) }
        defer { timeout.cancel() }
        try await ready.futureResult.get()
        return channel
    }
}

/// Speaks the target's protocol over WebSocket frames: answers pings, subscribes, reports
/// time stamps (`{"t":<nanoseconds>`) found in messages.
final class BenchFrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let nats: Bool
    private let topic: Bool
    private let ready: EventLoopPromise<Void>
    private let onPayload: @Sendable (UInt64) -> Void
    private var announced = false

    init(nats: Bool, topic: Bool, ready: EventLoopPromise<Void>, onPayload: @escaping @Sendable (UInt64) -> Void) {
        self.nats = nats
        self.topic = topic
        self.ready = ready
        self.onPayload = onPayload
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard nats else { return }
        let subscribe = topic ? "SUB bench.fanout 1\r\n" : ""
        send("CONNECT {\"verbose\":false,\"protocol\":1,\"echo\":false}\r\n\(subscribe)PING\r\n", context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .ping:
            var pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            pong.maskKey = .random()
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        case .text, .binary, .continuation:
            received(frame.unmaskedData, context: context)
        default:
            break
        }
    }

    private func received(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        if nats, contains(buffer, "PING\r\n") { send("PONG\r\n", context: context) }
        if !announced {
            if nats ? contains(buffer, "PONG") : contains(buffer, topic ? #""op":"subscribed""# : #""op":"ready""#) {
                announced = true
                ready.succeed()
            } else if !nats, topic, contains(buffer, #""op":"ready""#) {
                send(#"{"op":"subscribe","topics":["bench/fanout"]}"#, context: context)
            }
        }
        Self.stamps(in: buffer, onPayload)
    }

    private func send(_ text: String, context: ChannelHandlerContext) {
        var frame = WebSocketFrame(fin: true, opcode: .text, data: context.channel.allocator.buffer(string: text))
        frame.maskKey = .random()
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    private func contains(_ buffer: ByteBuffer, _ text: String) -> Bool {
        let needle = Array(text.utf8)
        return buffer.withUnsafeReadableBytes { Self.index(of: needle, in: $0, from: 0) != nil }
    }

    /// Where `needle` starts in `bytes` at or after `start` (a plain scan: messages are short).
    private static func index(of needle: [UInt8], in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let first = needle.first, bytes.count >= needle.count else { return nil }
        var index = start
        while index <= bytes.count - needle.count {
            if bytes[index] == first {
                var matched = 1
                while matched < needle.count, bytes[index + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return index }
            }
            index += 1
        }
        return nil
    }

    private static let marker = Array(#"{"t":"#.utf8)

    /// Calls `body` with each number that follows `{"t":` in `buffer`.
    static func stamps(in buffer: ByteBuffer, _ body: (UInt64) -> Void) {
        buffer.withUnsafeReadableBytes { bytes in
            var start = 0
            while let found = index(of: marker, in: bytes, from: start) {
                var index = found + marker.count
                var value: UInt64 = 0
                var digits = 0
                while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                    value = value &* 10 &+ UInt64(bytes[index] - 0x30)
                    index += 1
                    digits += 1
                }
                if digits > 0 { body(value) }
                start = index
            }
        }
    }
}
