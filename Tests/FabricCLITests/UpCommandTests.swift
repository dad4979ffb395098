import FabricCore
import FabricNATS
import FabricTestSupport
import Foundation
import Testing

@Suite("fabric up", .timeLimit(.minutes(2)))
struct UpCommandTests {
    @Test func upServesReadyzAndStopsItsChildOnSIGTERM() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let up = try FabricBinary.start(
            [
                "up", "--nats-port", "0", "--admin-port", "0", "--http-port", "0", "--h2c-port", "0", "--ws-port", "0",
                "--data-dir",
                "\(directory)/data", "--log-format", "json",
            ])
        let adminLine = try #require(await up.waitForLine(containing: "admin ", timeout: .seconds(60)), "\(up.output)")
        let natsLine = try #require(up.lines.first { $0.hasPrefix("nats ") })
        #expect(natsLine.contains("nats://127.0.0.1:"))
        let admin = try #require(adminLine.split(separator: " ").last.map(String.init))

        #expect(await eventually { (try? await HTTPProbe.get("\(admin)/readyz").status) == 200 })
        let ready = try await HTTPProbe.get("\(admin)/readyz")
        #expect(ready.body.contains("nats ok"))
        #expect(ready.body.contains("router ok"))
        #expect(ready.body.contains("http ok"))
        #expect(ready.body.contains("ws ok"))
        // Each role's own connection is watched too.
        for check in ["nats-up-router", "nats-up-examples", "nats-up-http"] { #expect(ready.body.contains("\(check) ok")) }
        #expect(up.lines.contains { $0.hasPrefix("ws     ws://127.0.0.1:") }, "\(up.output)")

        // The example rules and backends run: a request reaches echo through the router.
        let natsURL = try #require(natsLine.split(separator: " ").last.map(String.init))
        let client = try await NATSConnection.connect(NATSOptions(urls: [natsURL], name: "up-test"))
        var envelope = Envelope(type: "echo", source: .internal, payload: Array(#"{"hello":"fabric"}"#.utf8))
        envelope.claims = Claims(principal: "tester")
        envelope.expect = .reply
        let reply = try await client.request(
            "fabric.in.echo", headers: envelope.headers, payload: envelope.payload, timeout: .seconds(10))
        #expect(reply.headers[HeaderName.status] == "ok")
        #expect(reply.text.contains("\"principal\":\"tester\""))
        client.close()
        #expect(try await HTTPProbe.get("\(admin)/healthz").status == 200)
        let metrics = try await HTTPProbe.get("\(admin)/metrics")
        #expect(metrics.status == 200)

        // The child's pid is in the JSON log line announcing it.
        let started = try #require(up.lines.first { $0.contains("nats-server started") })
        let pid = try #require(Self.jsonField("pid", in: started).flatMap { Int32($0) })
        #expect(kill(pid, 0) == 0)
        // Its collector runs every ~32 MB allocated, not Go's default 4 MB (`NATSServerChild`).
        let environ = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))
        #expect(environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.contains("GOGC=800"))

        up.send(SIGTERM)
        #expect(await up.waitForExit(timeout: .seconds(30)) == 0)
        // No orphan: the nats-server is gone with its parent.
        #expect(!FileManager.default.fileExists(atPath: "/proc/\(pid)"))
    }

    @Test func busyPortIsAClearError() async throws {
        let server = try await NATSServer.start()
        defer { Task { await server.stop() } }
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await FabricBinary.run(
            [
                "up", "--nats-port", String(server.port), "--admin-port", "0", "--http-port", "0", "--h2c-port", "0", "--ws-port",
                "0",
                "--data-dir", "\(directory)/data",
            ])
        #expect(result.status != 0)
        #expect(result.output.contains("port \(server.port) is already in use"))
    }

    @Test func badConfigurationNamesTheKeyPath() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = "\(directory)/fabric.yaml"
        try "admin:\n  prot: 9000\n".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await FabricBinary.run(["up", "--config", file])
        #expect(result.status != 0)
        #expect(result.output.contains("admin.prot: unknown key (line 2)"))

        let fromEnvironment = try await FabricBinary.run(["up"], environment: ["FABRIC_LOG__FORMAT": "xml"])
        #expect(fromEnvironment.status != 0)
        #expect(fromEnvironment.output.contains("log.format: 'xml' is not one of text, json"))
    }

    @Test func versionPrintsTheEnvelopeAndNatsCVersions() async throws {
        let result = try await FabricBinary.run(["version"])
        #expect(result.status == 0)
        #expect(result.output.contains("envelope v1"))
        #expect(result.output.contains("nats.c 3."))
    }

    static func jsonField(_ name: String, in line: String) -> String? {
        guard let data = line.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object[name] as? String
    }
}
