import Dispatch
import FabricTestSupport
import Foundation

/// The `fabric` binary run to completion with standard output and standard error apart,
/// both read to their end (so nothing printed last is lost).
enum FabricCommand {
    /// Exit status, standard output and standard error of `fabric arguments`.
    static func run(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FabricBinary.path)
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Blocking reads belong on threads of their own, not on the cooperative pool; each
        // pipe has its own so a full one cannot stall the child.
        async let output = read(stdout)
        async let errors = read(stderr)
        let (out, err) = await (output, errors)
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume()
            }
        }
        return (process.terminationStatus, out, err)
    }

    private static func read(_ pipe: Pipe) async -> String {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }
        }
    }
}
