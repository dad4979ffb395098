import NIOCore

/// Requests being answered on one connection, and the promise of the moment none is: the
/// connection's task waits for them after the connection closes. Used on the event loop.
struct InFlightTasks {
    private var count = 0
    private var idle: EventLoopPromise<Void>?

    mutating func started() { count += 1 }

    mutating func ended() {
        count -= 1
        if count == 0, let idle {
            self.idle = nil
            idle.succeed()
        }
    }

    /// Completes when no request is being answered.
    mutating func whenNone(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        guard count > 0 else { return eventLoop.makeSucceededVoidFuture() }
        let promise = idle ?? eventLoop.makePromise()
        idle = promise
        return promise.futureResult
    }
}
