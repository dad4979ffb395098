import FabricProcess
import Foundation
import Logging
import ServiceLifecycle

/// The `nats-server -js` that `fabric up` runs as a child process.
///
/// As a service it waits for graceful shutdown and then stops the child (SIGTERM, then
/// SIGKILL after a grace period); if the child dies on its own, the service fails and
/// takes the whole process down with a clear message. It is first in the service list,
/// so it stops last, after every role has drained its NATS connection.
struct NATSServerChild: Service {
    let child: ChildProcess
    let port: Int
    let logger: Logger

    /// `nats://127.0.0.1:<port>`.
    var url: String { "nats://127.0.0.1:\(port)" }

    /// Starts the child and waits until it reports ready.
    static func start(
        binary: String, port requestedPort: Int, dataDirectory: String, logger: Logger
    ) async throws -> NATSServerChild {
        let port = requestedPort == 0 ? try FreePort.next() : requestedPort
        if FreePort.isListening(port) {
            throw ValidationFailure(
                message: "port \(port) is already in use (another nats-server or fabric up?); "
                    + "use --nats-port N, or --nats-url to use a running server")
        }
        let dataPath = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: dataPath, withIntermediateDirectories: true)
        let pidFile = "\(dataPath)/nats-server.pid"
        await stopOrphan(pidFile: pidFile, logger: logger)
        let child: ChildProcess
        do {
            child = try ChildProcess(
                binary, arguments: ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dataPath, "-P", pidFile],
                environment: environment(ProcessInfo.processInfo.environment))
        } catch {
            throw ValidationFailure(message: "cannot start nats-server: \(error)")
        }
        guard await child.waitForLine(containing: "Server is ready", timeout: .seconds(30)) != nil else {
            await child.stop()
            throw ValidationFailure(message: "nats-server did not become ready:\n\(child.output)")
        }
        logger.info("nats-server started", metadata: ["pid": "\(child.pid)", "port": "\(port)", "data": "\(dataPath)"])
        return NATSServerChild(child: child, port: port, logger: logger)
    }

    /// Go's collector setting for the child, unless the caller's environment sets its own.
    ///
    /// nats-server's live heap is about 1 MB, so with Go's default (`GOGC=100`) it collects
    /// every 4 MB allocated: under fabric's messages (envelope headers make them ~500 bytes)
    /// every 30 ms, each mark phase taking a core for 1-5 ms, which all requests in flight
    /// wait out. At 800 it collects every ~32 MB (`docs/performance.md`).
    static let collectorSetting = "800"

    /// The child's environment: the caller's, with `GOGC` set when the caller has none.
    static func environment(_ caller: [String: String]) -> [String: String] {
        var environment = caller
        if environment["GOGC"] == nil { environment["GOGC"] = collectorSetting }
        return environment
    }

    func run() async throws {
        let exited: Int32? = await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await child.waitForExit() }
            group.addTask {
                try? await gracefulShutdown()
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if let exited {
            logger.critical(
                "nats-server exited unexpectedly", metadata: ["status": "\(exited)", "output": "\(child.output.suffix(2000))"])
            throw ValidationFailure(message: "nats-server exited unexpectedly with status \(exited)")
        }
        await stopChild()
    }

    /// Stops the child: SIGTERM, SIGKILL after 10 s.
    func stopChild() async {
        let status = await child.stop(grace: .seconds(10))
        logger.info("nats-server stopped", metadata: ["pid": "\(child.pid)", "status": "\(status.map(String.init) ?? "?")"])
    }

    /// A nats-server left behind by a `fabric up` that was killed with SIGKILL still
    /// holds the data directory; stop it, but only when its command line proves it is ours.
    private static func stopOrphan(pidFile: String, logger: Logger) async {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0,
            let commandLine = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)
        else { return }
        let directory = (pidFile as NSString).deletingLastPathComponent
        guard commandLine.contains("nats-server"), commandLine.contains(directory) else { return }
        logger.warning("stopping a nats-server left behind by an earlier fabric up", metadata: ["pid": "\(pid)"])
        kill(pid, SIGTERM)
        for _ in 0..<100 where kill(pid, 0) == 0 {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
    }
}
