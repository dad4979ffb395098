import NIOCore

extension NIOLoopBound {
    /// Runs `body` with the value on its event loop: at once when already there.
    func onLoop(_ body: @escaping @Sendable (Value) -> Void) {
        if eventLoop.inEventLoop {
            body(value)
        } else {
            let bound = self
            eventLoop.execute { body(bound.value) }
        }
    }
}
