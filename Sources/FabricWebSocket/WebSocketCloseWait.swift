import ServiceLifecycle

/// Listed before the listener, so it stops after it: waits (at most `ws.close_timeout`) for
/// connections still closing once the listener is down.
///
/// The listener's own shutdown does not wait for them: its child channels hold no task
/// (`WebSocketChildChannel`), so without this the process could exit in the middle of a
/// close handshake, or before a session upgraded during the drain had closed itself.
struct WebSocketCloseWait: Service {
    let registry: SessionRegistry
    let closeTimeout: Duration

    func run() async throws {
        try? await gracefulShutdown()
        if Task.isCancelled { return }
        await registry.waitUntilEmpty(atMost: closeTimeout)
    }
}
