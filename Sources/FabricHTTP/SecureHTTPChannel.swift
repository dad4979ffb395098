import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// Hummingbird's child channel for the TLS listener: ALPN picks HTTP/2 or HTTP/1.1, as
/// Hummingbird's `HTTP2UpgradeChannel` does with its own channels.
struct SecureHTTPChannel<HTTP1: ServerChildChannel, HTTP2: ServerChildChannel>: ServerChildChannel {
    /// The protocol the client and the server agreed on.
    enum Negotiated: Sendable {
        case http1(HTTP1.Value)
        case http2(HTTP2.Value)
    }

    /// A connection whose handshake may still be under way.
    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    private let context: NIOSSLContext
    let http1: HTTP1
    let http2: HTTP2

    /// Offers h2 and http/1.1 with `configuration`'s certificate.
    init(tlsConfiguration: TLSConfiguration, http1: HTTP1, http2: HTTP2) throws {
        var configuration = tlsConfiguration
        configuration.applicationProtocols = ["h2", "http/1.1"]
        self.context = try NIOSSLContext(configuration: configuration)
        self.http1 = http1
        self.http2 = http2
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let (http1, http2) = (self.http1, self.http2)
        return channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(NIOSSLServerHandler(context: context))
            let negotiation = NIOTypedApplicationProtocolNegotiationHandler<Negotiated> { result, channel in
                switch result {
                case .negotiated("h2"):
                    return http2.setup(channel: channel, logger: logger).map { .http2($0) }
                case .negotiated("http/1.1"), .fallback:
                    return http1.setup(channel: channel, logger: logger).map { .http1($0) }
                case .negotiated:
                    return channel.close().flatMapThrowing { throw ALPNRefused() }
                }
            }
            try pipeline.addHandler(negotiation)
            return Value(negotiated: negotiation.protocolNegotiationResult, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http1(let connection): await http1.handle(value: connection, logger: logger)
            case .http2(let connection): await http2.handle(value: connection, logger: logger)
            }
        } catch {
            logger.debug("TLS or ALPN failed", metadata: ["error": "\(error)"])
        }
    }

    /// A protocol the listener never offered.
    struct ALPNRefused: Error {}
}
