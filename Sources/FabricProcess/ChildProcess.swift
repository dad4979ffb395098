import Foundation
import Synchronization

/// A child process whose combined output is captured line by line, for tests and for
/// `fabric up`'s own children.
///
/// Waiting for a line is how callers learn that a server is ready, instead of sleeping.
public final class ChildProcess: Sendable {
    private struct State {
        var lines: [String] = []
        var partial = ""
        var exitStatus: Int32?
        var lineWaiters: [(id: UInt64, pattern: String, continuation: CheckedContinuation<String?, Never>)] = []
        var exitWaiters: [(id: UInt64, continuation: CheckedContinuation<Int32?, Never>)] = []
    }

    /// Process id.
    public let pid: Int32
    /// What was started, for messages.
    public let commandLine: String
    private let shared = Shared()

    private static let spawnLock = NSLock()

    private final class Shared: Sendable {
        let state = Mutex(State())
        let nextID = Atomic<UInt64>(0)
    }

    /// Starts `executable` (a path, or a name looked up in PATH, /usr/sbin and /usr/local/sbin).
    ///
    /// Spawned with `posix_spawn` rather than Foundation's `Process`, whose Linux
    /// implementation keeps every process object alive (LeakSanitizer reports it), and
    /// with every signal reset to its default: a parent that ignores SIGTERM for its
    /// own graceful shutdown must not pass that on to its children.
    public init(
        _ executable: String, arguments: [String], environment: [String: String]? = nil,
        workingDirectory: String? = nil
    ) throws {
        let resolved = try ChildProcess.resolve(executable)
        commandLine = ([resolved] + arguments).joined(separator: " ")
        var fds: [Int32] = [0, 0]
        // Pipes are created close-on-exec and spawns are serialised, so a child spawned
        // by another thread cannot inherit this pipe and hold it open (the reader would
        // never see end of file). glibc's pipe2 is not visible to Swift, hence the lock.
        ChildProcess.spawnLock.lock()
        defer { ChildProcess.spawnLock.unlock() }
        guard pipe(&fds) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        posix_spawn_file_actions_addclose(&actions, readEnd)
        posix_spawn_file_actions_addclose(&actions, writeEnd)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        // glibc's addchdir_np is not visible to Swift; coreutils' env changes directory instead.
        let command = workingDirectory.map { ["/usr/bin/env", "-C", $0, resolved] } ?? [resolved]
        let argv = (command + arguments).map { strdup($0) } + [nil]
        let environmentPairs = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let envp = environmentPairs.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var spawned: pid_t = 0
        let result = posix_spawn(&spawned, command[0], &actions, &attributes, argv, envp)
        close(writeEnd)
        guard result == 0 else {
            close(readEnd)
            throw ChildProcessError.spawnFailed(resolved, errno: result)
        }
        pid = spawned
        let child = spawned
        let shared = self.shared
        let name = resolved.split(separator: "/").last.map(String.init) ?? "child"
        let outputDone = DispatchSemaphore(value: 0)
        let reader = Thread {
            defer { outputDone.signal() }
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                ChildProcess.append(String(decoding: buffer[0..<count], as: UTF8.self), to: shared.state)
            }
            close(readEnd)
        }
        reader.name = "child-output-\(name)"
        reader.start()
        let waiter = Thread {
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
            // Report the exit only after the last output was read (bounded, in case a
            // grandchild keeps the pipe open), so a caller sees why it exited.
            _ = outputDone.wait(timeout: .now() + 2)
            // Exit code, or 128 + signal number as shells report it.
            let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            ChildProcess.finish(code, state: shared.state)
        }
        waiter.name = "child-wait-\(name)"
        waiter.start()
    }

    private static func finish(_ status: Int32, state: borrowing Mutex<State>) {
        let waiters = state.withLock {
            state -> ([CheckedContinuation<Int32?, Never>], [CheckedContinuation<String?, Never>]) in
            state.exitStatus = status
            defer {
                state.exitWaiters = []
                state.lineWaiters = []
            }
            return (state.exitWaiters.map(\.continuation), state.lineWaiters.map(\.continuation))
        }
        waiters.0.forEach { $0.resume(returning: status) }
        waiters.1.forEach { $0.resume(returning: nil) }
    }

    private static func append(_ text: String, to state: borrowing Mutex<State>) {
        let matched = state.withLock { state -> [(CheckedContinuation<String?, Never>, String)] in
            state.partial += text
            var newLines: [String] = []
            while let newline = state.partial.firstIndex(of: "\n") {
                newLines.append(String(state.partial[..<newline]))
                state.partial = String(state.partial[state.partial.index(after: newline)...])
            }
            state.lines += newLines
            var resumed: [(CheckedContinuation<String?, Never>, String)] = []
            state.lineWaiters.removeAll { waiter in
                guard let line = newLines.first(where: { $0.contains(waiter.pattern) }) else { return false }
                resumed.append((waiter.continuation, line))
                return true
            }
            return resumed
        }
        for (continuation, line) in matched { continuation.resume(returning: line) }
    }

    /// Everything printed so far.
    public var output: String { shared.state.withLock { ($0.lines + [$0.partial]).joined(separator: "\n") } }

    /// Printed lines so far.
    public var lines: [String] { shared.state.withLock { $0.lines } }

    /// True while the process runs.
    public var isRunning: Bool { shared.state.withLock { $0.exitStatus == nil } }

    /// The first line containing `pattern` (already printed or still to come); nil when
    /// the process exits or `timeout` passes first.
    public func waitForLine(containing pattern: String, timeout: Duration = .seconds(30)) async -> String? {
        await race(timeout: timeout) { id in
            await withCheckedContinuation { continuation in
                let immediate = self.shared.state.withLock { state -> String?? in
                    if let line = state.lines.first(where: { $0.contains(pattern) }) { return .some(line) }
                    if state.exitStatus != nil { return .some(nil) }
                    state.lineWaiters.append((id, pattern, continuation))
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } cancel: { id in
            let waiter = self.shared.state.withLock { state -> CheckedContinuation<String?, Never>? in
                guard let index = state.lineWaiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.lineWaiters.remove(at: index).continuation
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Sends `signal` (e.g. `SIGTERM`, `SIGKILL`).
    public func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits for the exit status, however long it takes; nil only when the waiting task
    /// is cancelled.
    public func waitForExit() async -> Int32? {
        await waitForExit(timeout: nil)
    }

    /// Waits for the exit status; nil when `timeout` passes first.
    public func waitForExit(timeout: Duration?) async -> Int32? {
        await race(timeout: timeout) { id in
            await withCheckedContinuation { continuation in
                let status = self.shared.state.withLock { state -> Int32? in
                    if let status = state.exitStatus { return status }
                    state.exitWaiters.append((id, continuation))
                    return nil
                }
                if let status { continuation.resume(returning: status) }
            }
        } cancel: { id in
            let waiter = self.shared.state.withLock { state -> CheckedContinuation<Int32?, Never>? in
                guard let index = state.exitWaiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.exitWaiters.remove(at: index).continuation
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Runs `wait` until it returns or `timeout` passes; on timeout or cancellation
    /// `cancel` must resume the parked waiter with nil.
    private func race<Value: Sendable>(
        timeout: Duration?, wait: @escaping @Sendable (UInt64) async -> Value?, cancel: @escaping @Sendable (UInt64) -> Void
    ) async -> Value? {
        let id = shared.nextID.add(1, ordering: .relaxed).newValue
        return await withTaskGroup(of: Value?.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await wait(id)
                } onCancel: {
                    cancel(id)
                }
            }
            if let timeout {
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    return nil
                }
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// SIGTERM, then SIGKILL when it has not exited within `grace`.
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) async -> Int32? {
        send(SIGTERM)
        if let status = await waitForExit(timeout: grace) { return status }
        send(SIGKILL)
        return await waitForExit(timeout: .seconds(10))
    }

    /// Finds an executable by name.
    public static func resolve(_ executable: String) throws -> String {
        if executable.contains("/") { return executable }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/sbin", "/sbin"] {
            let candidate = "\(directory)/\(executable)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ChildProcessError.notFound(executable)
    }
}

/// Why a child could not start.
public enum ChildProcessError: Error, CustomStringConvertible {
    /// Not in PATH.
    case notFound(String)
    /// Started but never said it was ready.
    case notReady(String, output: String)
    /// `posix_spawn` refused.
    case spawnFailed(String, errno: Int32)

    public var description: String {
        switch self {
        case .notFound(let name): "\(name) not found in PATH, /usr/sbin or /usr/local/sbin (run scripts/bootstrap)"
        case .notReady(let name, let output): "\(name) did not become ready; its output:\n\(output)"
        case .spawnFailed(let name, let code): "cannot start \(name): \(String(cString: strerror(code)))"
        }
    }
}
