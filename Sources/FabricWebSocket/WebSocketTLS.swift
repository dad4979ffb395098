import FabricCore
import NIOSSL

/// The TLS configuration of a `wss://` listener, read from `ws.tls`.
enum WebSocketTLS {
    /// Loads the certificate chain and key; errors name the files.
    static func configuration(_ tls: WebSocketConfig.TLS) throws -> TLSConfiguration {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(tls.certFile).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: tls.keyFile, format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            return configuration
        } catch {
            throw ValidationError(path: "ws.tls", reason: "cannot load \(tls.certFile) / \(tls.keyFile): \(error)")
        }
    }
}
