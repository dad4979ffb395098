import FabricCore
import FabricNATS
import FabricTestSupport
import Foundation
import Testing

/// Authentication and TLS options against a real nats-server configured for each.
@Suite("Connection security", .timeLimit(.minutes(2)))
struct ConnectionSecurityTests {
    static func roundTrip(_ connection: NATSConnection) async throws {
        let stream = try connection.messages(on: "secure.echo")
        try await connection.flush()
        try connection.publish("secure.echo", payload: Array("hello".utf8))
        #expect(await collect(stream, count: 1).first?.text == "hello")
    }

    @Test func userAndPasswordAreSentAndWrongOnesRefused() async throws {
        let server = try await NATSServer.start(extraArguments: ["--user", "fabric", "--pass", "s3cret"])
        defer { Task { await server.stop() } }
        let good = try await NATSConnection.connect(NATSOptions(urls: [server.url], user: "fabric", password: "s3cret"))
        try await Self.roundTrip(good)
        good.close()
        do {
            _ = try await NATSConnection.connect(NATSOptions(urls: [server.url], user: "fabric", password: "wrong"))
            Issue.record("a wrong password connected")
        } catch {
            #expect(error.code == .authorization || error.code == .noServer, "\(error)")
        }
    }

    @Test func tokenAuthentication() async throws {
        let server = try await NATSServer.start(extraArguments: ["--auth", "t0ken"])
        defer { Task { await server.stop() } }
        let good = try await NATSConnection.connect(NATSOptions(urls: [server.url], token: "t0ken"))
        try await Self.roundTrip(good)
        good.close()
        do {
            _ = try await NATSConnection.connect(NATSOptions(urls: [server.url], token: "nope"))
            Issue.record("a wrong token connected")
        } catch {
            #expect(error.code == .authorization || error.code == .noServer, "\(error)")
        }
    }

    @Test func tlsWithATrustedCertificate() async throws {
        let certificate = try await TestCertificate.shared()
        let server = try await NATSServer.start(extraArguments: [
            "--tls", "--tlscert", certificate.certFile, "--tlskey", certificate.keyFile,
        ])
        defer { Task { await server.stop() } }
        let url = "tls://127.0.0.1:\(server.port)"
        let secure = try await NATSConnection.connect(
            NATSOptions(urls: [url], tls: NATSOptions.TLS(caFile: certificate.certFile, expectedHostname: "localhost")))
        try await Self.roundTrip(secure)
        secure.close()
        // Without the CA the server's self-signed certificate is not trusted.
        do {
            _ = try await NATSConnection.connect(NATSOptions(urls: [url], tls: NATSOptions.TLS()))
            Issue.record("an untrusted certificate was accepted")
        } catch {
            #expect(!error.message.isEmpty)
        }
    }
}
