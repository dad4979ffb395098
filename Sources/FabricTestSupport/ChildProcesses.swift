import FabricProcess
import Synchronization

/// Processes a test started against its own servers, stopped with them whatever happens:
/// an orphan would reconnect forever and could join a later test's server on the same port.
public final class ChildProcesses: Sendable {
    private let list = Mutex<[ChildProcess]>([])

    /// An empty set.
    public init() {}

    /// Registers `process` and returns it.
    @discardableResult
    public func adopt(_ process: ChildProcess) -> ChildProcess {
        list.withLock { $0.append(process) }
        return process
    }

    /// Stops every one still running.
    public func stopAll() async {
        for process in list.withLock({ $0 }) where process.isRunning { await process.stop() }
    }
}
