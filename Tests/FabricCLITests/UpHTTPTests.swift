import FabricCore
import FabricTestSupport
import Foundation
import Testing

@Suite("fabric up with the HTTP adapter", .timeLimit(.minutes(2)))
struct UpHTTPTests {
    @Test func upServesHTTPWithTheDevelopmentKeyAndPrintsAQuickStart() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = "\(directory)/data"
        let up = try FabricBinary.start([
            "up", "--nats-port", "0", "--admin-port", "0", "--http-port", "0", "--h2c-port", "0", "--ws-port", "0", "--data-dir",
            data,
        ])
        let httpLine = try #require(await up.waitForLine(containing: "http   http://", timeout: .seconds(60)), "\(up.output)")
        let http = try #require(httpLine.split(separator: " ").last.map(String.init))
        let curlHint = try #require(await up.waitForLine(containing: "curl -s -H", timeout: .seconds(30)), "\(up.output)")
        #expect(curlHint.contains("\(http)/v1/request/echo"))
        #expect(up.lines.contains { $0.contains("token --sub alice --data-dir \(data)") })
        let h2cLine = try #require(await up.waitForLine(containing: "h2c    h2c://", timeout: .seconds(30)))
        let h2c = try #require(h2cLine.split(separator: " ").last.map { $0.replacingOccurrences(of: "h2c://", with: "http://") })
        #expect(!up.lines.contains { $0.hasPrefix("https ") })

        let minted = try await FabricBinary.run(["token", "--sub", "alice", "--data-dir", data])
        #expect(minted.status == 0)
        let token = try #require(minted.output.split(separator: "\n").last.map(String.init))

        for (url, flag) in [(http, "--http1.1"), (h2c, "--http2-prior-knowledge")] {
            let curl = try ChildProcess(
                "curl",
                arguments: [
                    "-s", flag, "-w", "\\n%{http_code} %{http_version}", "-H", "Authorization: Bearer \(token)", "-d",
                    #"{"hello":"fabric"}"#, "\(url)/v1/request/echo",
                ])
            #expect(await curl.waitForExit(timeout: .seconds(30)) == 0)
            let lines = curl.output.split(separator: "\n")
            #expect(lines.last == (flag == "--http1.1" ? "200 1.1" : "200 2"), "\(curl.output)")
            #expect(curl.output.contains(#""principal":"alice""#))
        }

        up.send(SIGTERM)
        #expect(await up.waitForExit(timeout: .seconds(30)) == 0)
    }
}
