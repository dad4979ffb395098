import FabricCore
import Synchronization

/// The hand-off from nats.c's delivery thread to a work consumer's workers: bounded,
/// and a message costs no task of its own.
///
/// Workers are started on demand, one for each message that finds every worker busy, up
/// to `capacity` (the service's concurrency), and then stay: a quiet service holds no
/// idle tasks, a busy one reuses those it has. A message given to an idle worker is a
/// continuation resumed from the delivery thread; otherwise it waits in a queue of at
/// most `capacity` (the consumer never has more messages in flight than that).
///
/// `close` ends it: messages already queued are still handed out, then `next` returns
/// nil and `nextSpawn` false.
final class WorkQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: BoundedQueue<Element>
        /// Idle workers, longest waiting first.
        var idle: [CheckedContinuation<Element?, Never>] = []
        /// Workers started or asked for.
        var workers = 0
        /// Workers asked for and not yet started.
        var spawns = 0
        var spawner: CheckedContinuation<Bool, Never>?
        var closed = false
    }

    private enum Pushed {
        case refused
        case handed(CheckedContinuation<Element?, Never>)
        case queued(spawner: CheckedContinuation<Bool, Never>?)
    }

    /// Most workers, and most messages waiting.
    let capacity: Int
    private let state: Mutex<State>

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        state = Mutex(State(items: BoundedQueue(capacity: max(1, capacity), policy: .dropNewest)))
    }

    /// Hands `element` to an idle worker, or queues it (asking for a worker when there is
    /// room for one); false when closed or full: the caller hands the message back.
    func push(_ element: Element) -> Bool {
        let outcome = state.withLock { state -> Pushed in
            guard !state.closed else { return .refused }
            if !state.idle.isEmpty { return .handed(state.idle.removeFirst()) }
            guard case .queued = state.items.push(element) else { return .refused }
            guard state.workers < capacity else { return .queued(spawner: nil) }
            state.workers += 1
            if let spawner = state.spawner {
                // Waiting for exactly this: the request goes to it, not to the count.
                state.spawner = nil
                return .queued(spawner: spawner)
            }
            state.spawns += 1
            return .queued(spawner: nil)
        }
        switch outcome {
        case .refused:
            return false
        case .handed(let worker):
            worker.resume(returning: element)
        case .queued(let spawner):
            spawner?.resume(returning: true)
        }
        return true
    }

    /// The next message for a worker; nil once closed and drained.
    func next() async -> Element? {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Element?? in
                if let element = state.items.pop() { return .some(element) }
                if state.closed { return .some(nil) }
                state.idle.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Waits until a worker should be started: true, or false once closed with no start pending.
    func nextSpawn() async -> Bool {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool? in
                if state.spawns > 0 {
                    state.spawns -= 1
                    return true
                }
                if state.closed { return false }
                state.spawner = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Refuses further messages; idle workers and the spawner are told to stop once the
    /// queued messages are handed out (idle workers mean none are queued).
    func close() {
        let (idle, spawner) = state.withLock {
            state -> ([CheckedContinuation<Element?, Never>], CheckedContinuation<Bool, Never>?) in
            state.closed = true
            defer {
                state.idle = []
                state.spawner = nil
            }
            return (state.idle, state.spawner)
        }
        for worker in idle { worker.resume(returning: nil) }
        spawner?.resume(returning: false)
    }
}
