import FabricCore
import FabricTestSupport
import Foundation

/// A Python peer (`peers/wspeer.py`, `websockets` or a hand-written client) as a child process.
struct Peer {
    let process: ChildProcess

    /// The repository root, found from this file.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Starts `wspeer.py MODE ARGUMENTS…` with the repository's virtual environment.
    static func start(_ arguments: [String]) throws -> Peer {
        let python = "\(root)/.venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw WSTestError("\(python) is missing: run scripts/bootstrap")
        }
        return Peer(
            process: try ChildProcess(python, arguments: ["\(root)/Tests/FabricWebSocketTests/peers/wspeer.py"] + arguments))
    }

    /// Waits for the line of `event` and returns its JSON fields.
    func event(_ name: String, timeout: Duration = .seconds(60)) async -> [String: JSONValue]? {
        guard let line = await process.waitForLine(containing: "\"event\": \"\(name)\"", timeout: timeout),
            case .object(let fields)? = JSONCodec.parse(line)
        else { return nil }
        return fields
    }

    /// The integers of `key` in `fields`.
    static func integers(_ fields: [String: JSONValue]?, _ key: String) -> [Int] {
        guard case .array(let values)? = fields?[key] else { return [] }
        return values.compactMap { $0.numberValue.map { Int($0) } }
    }
}
