import FabricProcess
import Foundation
import Synchronization

/// A real `nats-server` with JetStream on a free loopback port and a temporary store.
public final class NATSServer: Sendable {
    /// Client port.
    public let port: Int
    /// JetStream store directory (removed by `stop`).
    public let storeDirectory: String
    private let child: Mutex<ChildProcess>

    /// `nats://127.0.0.1:<port>`.
    public var url: String { "nats://127.0.0.1:\(port)" }

    /// Starts a server and waits until it is ready for clients.
    public static func start(port: Int? = nil, extraArguments: [String] = []) async throws -> NATSServer {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("fabric-nats-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        // A free port can be taken by a test running in parallel before the server binds
        // it; with a port of our choosing, try another.
        var attempt = 0
        while true {
            attempt += 1
            let chosen = try port ?? FreePort.next()
            do {
                let child = try await launch(port: chosen, store: store, extraArguments: extraArguments)
                return NATSServer(port: chosen, store: store, child: child, extraArguments: extraArguments)
            } catch {
                if port != nil || attempt >= 5 { throw error }
            }
        }
    }

    private let extraArguments: [String]

    private init(port: Int, store: String, child: ChildProcess, extraArguments: [String]) {
        self.port = port
        self.storeDirectory = store
        self.child = Mutex(child)
        self.extraArguments = extraArguments
    }

    private static func launch(port: Int, store: String, extraArguments: [String]) async throws -> ChildProcess {
        let child = try ChildProcess(
            "nats-server", arguments: ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", store] + extraArguments)
        guard await child.waitForLine(containing: "Server is ready", timeout: .seconds(30)) != nil else {
            await child.stop()
            throw ChildProcessError.notReady("nats-server on port \(port)", output: child.output)
        }
        return child
    }

    /// Process id of the running server.
    public var pid: Int32 { child.withLock { $0.pid } }

    /// Kills the server with SIGKILL (no shutdown at all) and waits until it is gone.
    public func kill9() async {
        let process = child.withLock { $0 }
        process.send(SIGKILL)
        _ = await process.waitForExit()
    }

    /// Starts the server again on the same port and store (after `kill9` or `stopProcess`).
    public func restart() async throws {
        let process = try await NATSServer.launch(port: port, store: storeDirectory, extraArguments: extraArguments)
        child.withLock { $0 = process }
    }

    /// Stops the process (SIGTERM), keeping the store.
    public func stopProcess() async {
        let process = child.withLock { $0 }
        await process.stop()
    }

    /// Stops the server and removes its store.
    public func stop() async {
        await stopProcess()
        try? FileManager.default.removeItem(atPath: storeDirectory)
    }
}
