import FabricCore
import FabricProcess
import Foundation

/// A Python test peer (a real client library, or a hand-written protocol client) run with the
/// repository's virtual environment; it reports what it saw as JSON lines with an `event` key.
public struct PythonPeer: Sendable {
    /// The running script.
    public let process: ChildProcess

    /// The repository root, found from this file.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Starts `script` (a path from the repository root) with `arguments`.
    public static func start(script: String, _ arguments: [String]) throws -> PythonPeer {
        let python = "\(root)/.venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else { throw Missing(path: python) }
        return PythonPeer(process: try ChildProcess(python, arguments: ["\(root)/\(script)"] + arguments))
    }

    /// Waits for the line of `event` and returns its JSON fields.
    public func event(_ name: String, timeout: Duration = .seconds(60)) async -> [String: JSONValue]? {
        guard let line = await process.waitForLine(containing: "\"event\": \"\(name)\"", timeout: timeout),
            case .object(let fields)? = JSONCodec.parse(line)
        else { return nil }
        return fields
    }

    /// The integers of `key` in `fields`.
    public static func integers(_ fields: [String: JSONValue]?, _ key: String) -> [Int] {
        guard case .array(let values)? = fields?[key] else { return [] }
        return values.compactMap { $0.numberValue.map { Int($0) } }
    }

    /// The virtual environment is not there.
    public struct Missing: Error, CustomStringConvertible {
        let path: String
        public var description: String { "\(path) is missing: run scripts/bootstrap" }
    }
}
