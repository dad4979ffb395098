import FabricCore
import Foundation

/// Rules from a YAML file, checked for changes every `interval`.
///
/// Polling the content rather than watching inodes survives editors that replace the
/// file, symlink swaps (Kubernetes config maps) and network mounts alike; the check is a
/// read and a hash, a few microseconds for a rules file.
public struct FileRouteSource: RouteSource {
    /// The file.
    public let path: String
    /// Check interval.
    public let interval: Duration

    /// Creates a source.
    public init(path: String, interval: Duration) {
        self.path = path
        self.interval = interval
    }

    public var description: String { "file \(path)" }

    public func updates() -> AsyncStream<RouteUpdate> {
        let (stream, continuation) = AsyncStream.makeStream(of: RouteUpdate.self, bufferingPolicy: .bufferingNewest(1))
        let path = path
        let interval = interval
        let task = Task {
            var lastHash: UInt64?
            while !Task.isCancelled {
                if let data = FileManager.default.contents(atPath: path) {
                    let text = String(decoding: data, as: UTF8.self)
                    let hash = JumpHash.hash(text)
                    if hash != lastHash {
                        lastHash = hash
                        continuation.yield(RouteUpdate(text: text, version: "file:" + String(hash, radix: 16)))
                    }
                } else if lastHash != 0 {
                    lastHash = 0
                    continuation.yield(RouteUpdate(text: "", version: "file:missing"))
                }
                try? await Task.sleep(for: interval)
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
