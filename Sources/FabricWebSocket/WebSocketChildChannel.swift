import FabricCore
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// How the WebSocket listener sets up each accepted connection: SwiftNIO's HTTP/1.1 codec
/// with its WebSocket upgrader, the adapter's decision before the upgrade, and after it a
/// `WebSocketConnection` on the event loop.
///
/// Hummingbird's server runs `handle` in a task per connection; here it returns at once, so
/// no task outlives the upgrade and an idle connection costs only its channel and session
/// (`docs/architecture.md`, "A WebSocket connection holds no task"). The adapter's drain
/// closes the sessions; the server's quiescing closes what is left.
struct WebSocketChildChannel: ServerChildChannel {
    /// The accepted connection.
    struct Value: ServerChildChannelValue {
        let channel: any Channel
    }

    let adapter: WebSocketAdapter

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let adapter = self.adapter
        let limits = adapter.context.config.limits
        return channel.eventLoop.makeCompletedFuture {
            let decision = UpgradeDecision()
            let upgrader = NIOWebSocketServerUpgrader(
                maxFrameSize: limits.maxFrameSize, automaticErrorHandling: false,
                shouldUpgrade: { channel, head in
                    channel.eventLoop.makeFutureWithTask { await adapter.shouldUpgrade(head, channel, decision) }
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard let session = decision.sessionToStart else { throw ChannelError.inputClosed }
                        let operations = channel.pipeline.syncOperations
                        // Nothing more is read until the session has started (subscribed, taken
                        // over): NIO replays what it already read once this future completes,
                        // and `WebSocketConnection` reads on from there.
                        try channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
                        try operations.addHandler(WebSocketConnection(session: session))
                        // The HTTP answerer goes before any WebSocket frame can reach it.
                        operations.removeHandler(
                            context: try operations.context(handlerType: PlainHTTPResponder.self), promise: nil)
                        return session
                    }.flatMap { session in
                        channel.eventLoop.makeFutureWithTask { await session.start() }
                    }.flatMapErrorThrowing { error in
                        // A failed upgrade step reaches no handler that would close the connection.
                        channel.close(promise: nil)
                        throw error
                    }
                })
            // Each channel keeps its receive buffer between reads; most connections are idle
            // and their frames small, so it starts at 512 bytes (NIO: 2 KiB) and grows with reads.
            try channel.syncOptions?.setOption(
                ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536))
            let operations = channel.pipeline.syncOperations
            try operations.configureHTTPServerPipeline(
                withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }), withErrorHandling: true)
            try operations.addHandler(
                PlainHTTPResponder(
                    decision: decision, metrics: adapter.context.metrics,
                    handshakeTimeout: .milliseconds(adapter.context.config.handshakeTimeout.milliseconds)))
            return Value(channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {}
}
