import FabricCore
import FabricTestSupport
import Foundation
import Testing

@Suite("fabric adapter http", .timeLimit(.minutes(2)))
struct AdapterHTTPCommandTests {
    @Test func refusesToStartWithoutKeysUnlessToldToTrustTheDevelopmentKey() async throws {
        let server = try await NATSServer.start()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // `-1` (off) is a value, not an option: the h2c listener is not started.
        let arguments = [
            "adapter", "http", "--nats-url", server.url, "--http-port", "0", "--h2c-port", "-1", "--admin-port", "0",
        ]

        let refused = try await FabricBinary.run(arguments, environment: ["FABRIC_UP__DATA_DIR": directory])
        #expect(refused.status != 0)
        #expect(refused.output.contains("auth: needs jwks_file or jwks_url"))

        let adapter = try FabricBinary.start(
            arguments + ["--development-key"],
            environment: ["FABRIC_UP__DATA_DIR": directory, "FABRIC_ADMIN__TOKEN": "s3cret"])
        let httpLine = try #require(
            await adapter.waitForLine(containing: "http   http://", timeout: .seconds(60)), "\(adapter.output)")
        let http = try #require(httpLine.split(separator: " ").last.map(String.init))
        let adminLine = try #require(await adapter.waitForLine(containing: "admin ", timeout: .seconds(30)))
        #expect(!adapter.output.contains("h2c://"))
        let admin = try #require(adminLine.split(separator: " ").last.map(String.init))
        #expect(await eventually { (try? await HTTPProbe.get("\(admin)/readyz").status) == 200 })

        // The control API is on the admin listener, behind admin.token.
        let table = try await HTTPProbe.get("\(admin)/control/priorities", headers: ["Authorization": "Bearer s3cret"])
        #expect(table.status == 200)
        #expect(table.body.contains("\"default\":\"normal\""))
        #expect(try await HTTPProbe.get("\(admin)/control/priorities").status == 401)

        // A valid development token, but no router runs: the adapter says so.
        let minted = try await FabricBinary.run(["token", "--sub", "alice", "--data-dir", directory])
        let token = try #require(minted.output.split(separator: "\n").last.map(String.init))
        let curl = try ChildProcess(
            "curl", arguments: ["-s", "-H", "Authorization: Bearer \(token)", "-d", "{}", "\(http)/v1/request/echo"])
        #expect(await curl.waitForExit(timeout: .seconds(30)) == 0)
        #expect(curl.output.contains(#""status":"unavailable""#), "\(curl.output)")

        adapter.send(SIGTERM)
        #expect(await adapter.waitForExit(timeout: .seconds(30)) == 0)
        await server.stop()
    }
}
