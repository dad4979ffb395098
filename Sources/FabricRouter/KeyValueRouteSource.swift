import FabricCore
import FabricNATS

/// Rules from key `routes` of the `fabric-config` bucket; every router watching it
/// switches when `fabric routes apply` writes a new revision.
public struct KeyValueRouteSource: RouteSource {
    /// The bucket.
    public let bucket: KeyValue

    /// Creates a source.
    public init(bucket: KeyValue) { self.bucket = bucket }

    public var description: String { "kv \(bucket.bucket)/\(FabricNames.ConfigKey.routes)" }

    public func updates() -> AsyncStream<RouteUpdate> {
        let (stream, continuation) = AsyncStream.makeStream(of: RouteUpdate.self)
        do {
            let watch = try bucket.watch(FabricNames.ConfigKey.routes)
            let task = Task {
                for await update in watch {
                    if case .entry(let entry) = update, entry.operation == .put {
                        continuation.yield(RouteUpdate(text: entry.text, version: "kv:\(entry.revision)"))
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        } catch {
            continuation.finish()
        }
        return stream
    }
}
