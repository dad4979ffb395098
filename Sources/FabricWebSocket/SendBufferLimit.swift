import HummingbirdCore
import Logging
import NIOCore

/// Wraps a child channel so each accepted socket gets a fixed kernel send buffer
/// (`ws.limits.send_buffer`): the bytes a slow client can leave unread in the kernel, so
/// the adapter's own bounded buffer and its drop policy engage that much sooner.
struct SendBufferLimit<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value

    let inner: Inner
    let bytes: Int

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard bytes > 0 else { return inner.setup(channel: channel, logger: logger) }
        return channel.setOption(.socketOption(.so_sndbuf), value: SocketOptionValue(bytes)).flatMap {
            inner.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
