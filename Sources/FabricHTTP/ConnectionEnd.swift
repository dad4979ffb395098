import NIOCore

/// The end of a connection served by fabric's own handlers, as its Hummingbird task sees it.
enum ConnectionEnd {
    /// Waits for `channel` to close, closing it if the task is cancelled (the server is
    /// going away without a graceful shutdown), then for its requests' tasks to end.
    static func wait(for channel: any Channel, tasks: @escaping @Sendable () -> EventLoopFuture<Void>) async {
        await withTaskCancellationHandler {
            try? await channel.closeFuture.get()
        } onCancel: {
            channel.close(promise: nil)
        }
        guard !Task.isCancelled else { return }
        try? await channel.eventLoop.flatSubmit(tasks).get()
    }
}
