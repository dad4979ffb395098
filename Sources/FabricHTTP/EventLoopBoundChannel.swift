import HummingbirdCore
import Logging
import NIOCore

/// A Hummingbird child channel whose connection task prefers its channel's event loop
/// (`EventLoopExecutor`); HTTP/2 streams are child tasks and inherit it.
struct EventLoopBoundChannel<Inner: ServerChildChannel>: ServerChildChannel {
    let inner: Inner

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Inner.Value> {
        inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Inner.Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopExecutor(value.channel.eventLoop)) {
            await inner.handle(value: value, logger: logger)
        }
    }
}
