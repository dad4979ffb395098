import Hummingbird
import NIOCore

/// The request context of the adapter: Hummingbird's core context plus what the adapter
/// needs to know about the connection.
public struct HTTPRequestContext: RequestContext {
    /// Hummingbird's own context.
    public var coreContext: CoreRequestContextStorage
    /// True for a request on an HTTP/2 stream.
    public let isHTTP2: Bool

    /// Creates the context of one HTTP/1 request: Hummingbird's HTTP/1.1 channel serves
    /// those, `HTTP2ServerChannel` the HTTP/2 streams.
    public init(source: ApplicationRequestContextSource) {
        self.init(source: source, isHTTP2: false)
    }

    /// Creates the context of one request.
    init(source: ApplicationRequestContextSource, isHTTP2: Bool) {
        coreContext = .init(source: source)
        self.isHTTP2 = isHTTP2
    }

    /// `2` or `1.1`, the protocol label of the metrics.
    var protocolVersion: String { isHTTP2 ? "2" : "1.1" }
}
