import Hummingbird
import NIOCore

/// The request context of the adapter: Hummingbird's core context plus what the adapter
/// needs to know about the connection.
public struct HTTPRequestContext: RequestContext {
    /// Hummingbird's own context.
    public var coreContext: CoreRequestContextStorage
    /// True for a request on an HTTP/2 stream.
    public let isHTTP2: Bool
    /// The HTTP/2 connection the stream belongs to, for the per-connection stream limit.
    let connection: ObjectIdentifier?

    /// Creates the context of one request.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        // An HTTP/1 request arrives on the accepted connection (its parent is the listening
        // channel); an HTTP/2 request on a stream channel, whose parent is the connection.
        let parent = source.channel.parent
        isHTTP2 = parent?.parent != nil
        connection = isHTTP2 ? parent.map { ObjectIdentifier($0) } : nil
    }

    /// `2` or `1.1`, the protocol label of the metrics.
    var protocolVersion: String { isHTTP2 ? "2" : "1.1" }
}
