import FabricProcess
import Foundation

/// A real `mosquitto` broker on a free loopback port with a generated configuration.
public final class Mosquitto: Sendable {
    /// Listener port.
    public let port: Int
    private let child: ChildProcess
    private let directory: String

    /// `mqtt://127.0.0.1:<port>`.
    public var url: String { "mqtt://127.0.0.1:\(port)" }

    /// Starts a broker allowing anonymous clients on 127.0.0.1 only, and waits until it listens.
    public static func start(extraConfiguration: String = "") async throws -> Mosquitto {
        // A free port can be taken by a test running in parallel before the broker binds it
        // (mosquitto then exits at once): try another, as `NATSServer` does.
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await launch(port: try FreePort.next(), extraConfiguration: extraConfiguration)
            } catch {
                if attempt >= 5 { throw error }
            }
        }
    }

    private static func launch(port: Int, extraConfiguration: String) async throws -> Mosquitto {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fabric-mosquitto-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let configuration = """
            listener \(port) 127.0.0.1
            allow_anonymous true
            persistence false
            log_dest stderr
            log_type error
            log_type warning
            log_type notice
            log_type information
            \(extraConfiguration)
            """
        let file = "\(directory)/mosquitto.conf"
        try configuration.write(toFile: file, atomically: true, encoding: .utf8)
        let child = try ChildProcess("mosquitto", arguments: ["-c", file])
        guard await child.waitForLine(containing: "running", timeout: .seconds(30)) != nil else {
            await child.stop()
            try? FileManager.default.removeItem(atPath: directory)
            throw ChildProcessError.notReady("mosquitto on port \(port)", output: child.output)
        }
        return Mosquitto(port: port, child: child, directory: directory)
    }

    private init(port: Int, child: ChildProcess, directory: String) {
        self.port = port
        self.child = child
        self.directory = directory
    }

    /// Stops the broker and removes its files.
    public func stop() async {
        await child.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
