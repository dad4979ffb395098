import CNATS
import Logging
import Synchronization

/// Receives nats.c's connection-level callbacks (disconnected, reconnected, closed,
/// errors) and turns them into `NATSEvent`s and log lines.
///
/// nats.c gets an integer id as its closure, not a pointer: it may call the closed
/// callback after `natsConnection_Destroy` returns, and a failed connect may or may not
/// call it at all. A registry lookup makes a late or missing callback harmless, where an
/// owning pointer would be a use-after-free or a leak.
final class ConnectionCallbacks: Sendable {
    let logger: Logger
    let continuation: AsyncStream<NATSEvent>.Continuation
    let urls: [String]
    private let closedWaiters = Mutex<(closed: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    init(logger: Logger, continuation: AsyncStream<NATSEvent>.Continuation, urls: [String]) {
        self.logger = logger
        self.continuation = continuation
        self.urls = urls
    }

    private static let registry = Mutex<(next: Int, entries: [Int: ConnectionCallbacks])>((1, [:]))

    static func register(_ callbacks: ConnectionCallbacks) -> Int {
        registry.withLock { state in
            let id = state.next
            state.next += 1
            state.entries[id] = callbacks
            return id
        }
    }

    static func unregister(_ id: Int) {
        _ = registry.withLock { $0.entries.removeValue(forKey: id) }
    }

    static func lookup(_ closure: UnsafeMutableRawPointer?) -> ConnectionCallbacks? {
        let id = Int(bitPattern: closure)
        return registry.withLock { $0.entries[id] }
    }

    static func waitUntilClosed(_ id: Int) async {
        guard let callbacks = registry.withLock({ $0.entries[id] }) else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = callbacks.closedWaiters.withLock { state -> Bool in
                if state.closed { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func emit(_ event: NATSEvent) {
        switch event {
        case .disconnected: logger.warning("nats disconnected", metadata: ["urls": "\(urls.joined(separator: ","))"])
        case .reconnected(let url): logger.notice("nats reconnected", metadata: ["url": "\(url)"])
        case .closed: logger.info("nats connection closed")
        case .slowConsumer(let subject):
            logger.warning("nats slow consumer: messages dropped", metadata: ["subject": "\(subject)"])
        case .error(let text): logger.error("nats error", metadata: ["error": "\(text)"])
        case .lameDuck: logger.warning("nats server entered lame duck mode")
        }
        continuation.yield(event)
    }

    func markClosed(id: Int) {
        emit(.closed)
        continuation.finish()
        let waiters = closedWaiters.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.closed = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
        ConnectionCallbacks.unregister(id)
    }
}

func natsDisconnectedCallback(_ connection: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    ConnectionCallbacks.lookup(closure)?.emit(.disconnected)
}

func natsReconnectedCallback(_ connection: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    guard let callbacks = ConnectionCallbacks.lookup(closure) else { return }
    var buffer = [CChar](repeating: 0, count: 256)
    var url = ""
    if let connection, natsConnection_GetConnectedUrl(connection, &buffer, buffer.count) == NATS_OK {
        url = String(nullTerminated: buffer)
    }
    callbacks.emit(.reconnected(url: url))
}

func natsClosedCallback(_ connection: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    ConnectionCallbacks.lookup(closure)?.markClosed(id: Int(bitPattern: closure))
}

func natsLameDuckCallback(_ connection: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    ConnectionCallbacks.lookup(closure)?.emit(.lameDuck)
}

func natsErrorCallback(
    _ connection: OpaquePointer?, _ subscription: OpaquePointer?, _ status: natsStatus, _ closure: UnsafeMutableRawPointer?
) {
    guard let callbacks = ConnectionCallbacks.lookup(closure) else { return }
    if status == NATS_SLOW_CONSUMER {
        let subject = subscription.flatMap { natsSubscription_GetSubject($0) }.map { String(cString: $0) } ?? "?"
        callbacks.emit(.slowConsumer(subject: subject))
    } else {
        callbacks.emit(.error(String(cString: natsStatus_GetText(status))))
    }
}
