import FabricProcess
import Foundation
import Synchronization

/// A self-signed certificate for `localhost` and `127.0.0.1`, made once per test run with
/// openssl, for the TLS listener and the clients that trust it.
public struct TestCertificate: Sendable {
    /// PEM certificate.
    public let certFile: String
    /// PEM private key.
    public let keyFile: String

    private static let made = Mutex<TestCertificate?>(nil)

    /// The certificate of this test run, made on first use.
    public static func shared() async throws -> TestCertificate {
        if let made = made.withLock({ $0 }) { return made }
        let directory = try makeTemporaryDirectory("fabric-tls")
        let certificate = TestCertificate(certFile: "\(directory)/cert.pem", keyFile: "\(directory)/key.pem")
        let openssl = try ChildProcess(
            "openssl",
            arguments: [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout",
                certificate.keyFile, "-out", certificate.certFile,
            ])
        guard await openssl.waitForExit(timeout: .seconds(60)) == 0 else {
            throw ChildProcessError.notReady("openssl", output: openssl.output)
        }
        return made.withLock { existing in
            if let existing { return existing }
            existing = certificate
            return certificate
        }
    }
}
