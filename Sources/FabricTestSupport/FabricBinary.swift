import FabricProcess
import Foundation

/// The `fabric` executable built next to the tests, run as a real process.
public enum FabricBinary {
    /// Its path: `$FABRIC_BIN`, or the `fabric` beside the test bundle.
    public static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["FABRIC_BIN"] { return explicit }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // The test runner may be inside an .xctest bundle directory.
        if directory.pathExtension == "xctest" { directory = directory.deletingLastPathComponent() }
        return directory.appendingPathComponent("fabric").path
    }

    /// Starts `fabric` with `arguments`.
    public static func start(
        _ arguments: [String], environment: [String: String] = [:], workingDirectory: String? = nil
    ) throws
        -> ChildProcess
    {
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        return try ChildProcess(path, arguments: arguments, environment: merged, workingDirectory: workingDirectory)
    }

    /// Runs `fabric` to completion and returns its status and output.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60)
    ) async throws
        -> (status: Int32?, output: String)
    {
        let child = try start(arguments, environment: environment)
        let status = await child.waitForExit(timeout: timeout)
        if status == nil { await child.stop() }
        return (status, child.output)
    }
}
