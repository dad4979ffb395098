import FabricCore
import FabricTestSupport
import Foundation
import Logging
import ServiceLifecycle
import Testing

@testable import FabricAuth

@Suite("JWKS URL")
struct RemoteKeySetTests {
    let logger = Logger(label: "test.jwks")

    func verifier(url: String, yaml: String = "") async throws -> TokenVerifier {
        let config = try Fixture.config("jwks_url: \"\(url)\"\n" + yaml)
        let loaded = try await TokenVerifier.load(config: config, logger: logger)
        return TokenVerifier(config: config, fileKeys: loaded.fileKeys, remote: loaded.remote, now: { Fixture.now })
    }

    @Test func keysComeFromTheURL() async throws {
        let a = try await TestKey.make(.rs256, kid: "a")
        let server = JWKSServer()
        server.serve(TestKey.jwks([a]))
        try await server.run { url in
            let verifier = try await verifier(url: url)
            #expect(try await verifier.verify(try await a.sign(Fixture.claims())).principal == "alice")
            #expect(server.requests == 1)
            #expect(await verifier.remote?.keys.keyIDs == ["a"])
        }
    }

    @Test func redirectsOnThisMachineAreFollowed() async throws {
        let a = try await TestKey.make(.edDSA, kid: "a")
        let server = JWKSServer()
        server.serve(TestKey.jwks([a]))
        try await server.run { url in
            let moved = url.replacingOccurrences(of: "/jwks.json", with: "/moved")
            let verifier = try await verifier(url: moved)
            #expect(try await verifier.verify(try await a.sign(Fixture.claims())).principal == "alice")
        }
    }

    @Test func unknownKidFetchesAgainAndPicksUpRotation() async throws {
        let a = try await TestKey.make(.es256, kid: "a")
        let b = try await TestKey.make(.es256, kid: "b")
        let server = JWKSServer()
        server.serve(TestKey.jwks([a]))
        try await server.run { url in
            let verifier = try await verifier(url: url, yaml: "jwks_min_interval: 0s")
            #expect(try await verifier.verify(try await a.sign(Fixture.claims())).principal == "alice")

            server.serve(TestKey.jwks([b]))
            #expect(try await verifier.verify(try await b.sign(Fixture.claims())).principal == "alice")
            #expect(server.requests == 2)
            // The rotated-out key is gone, not kept alongside.
            #expect(await refusal(of: try await a.sign(Fixture.claims()), by: verifier) == .unknownKey)
            #expect(server.requests == 3)
        }
    }

    @Test func unknownKidsDoNotFetchMoreThanOncePerInterval() async throws {
        let a = try await TestKey.make(.edDSA, kid: "a")
        let b = try await TestKey.make(.edDSA, kid: "b")
        let server = JWKSServer()
        server.serve(TestKey.jwks([a]))
        try await server.run { url in
            let verifier = try await verifier(url: url, yaml: "jwks_min_interval: 1h")
            server.serve(TestKey.jwks([b]))
            for forged in ["b", "c", "d"] {
                let token = try await b.sign(Fixture.claims(), headerKeyID: .other(forged))
                #expect(await refusal(of: token, by: verifier) == .unknownKey)
            }
            // Only the fetch at start: the interval since it has not passed.
            #expect(server.requests == 1)
        }
    }

    @Test func aFailedFetchKeepsTheLastGoodKeys() async throws {
        let a = try await TestKey.make(.hs256, kid: "a")
        let untagged = try await TestKey.make(.rs256, kid: "untagged")
        let server = JWKSServer()
        server.serve(TestKey.jwks([a]))
        try await server.run { url in
            let verifier = try await verifier(url: url)
            let remote = try #require(verifier.remote)
            let bad: [([UInt8], Int, String)] = [
                (TestKey.jwks([a]), 500, "HTTP 500"),
                (Array("not json".utf8), 200, "is not a JSON object"),
                (TestKey.jwks([untagged.publicJWKWithoutAlgorithm]), 200, "has no usable key"),
            ]
            for (body, status, reason) in bad {
                server.serve(body, status: status)
                do throws(JWKSFetchError) {
                    try await remote.refresh()
                    Issue.record("refresh succeeded with \(reason)")
                } catch {
                    #expect(error.reason.contains(reason), "\(error)")
                }
                #expect(try await verifier.verify(try await a.sign(Fixture.claims())).principal == "alice")
            }
        }
    }

    @Test func keysWithoutAlgAreLeftOutOfAFetchedSet() async throws {
        let good = try await TestKey.make(.edDSA, kid: "good")
        let untagged = try await TestKey.make(.rs256, kid: "untagged")
        let server = JWKSServer()
        server.serve(TestKey.jwks([good.publicJWK, untagged.publicJWKWithoutAlgorithm]))
        try await server.run { url in
            let verifier = try await verifier(url: url, yaml: "jwks_min_interval: 1h")
            #expect(await verifier.remote?.keys.refused.count == 1)
            #expect(try await verifier.verify(try await good.sign(Fixture.claims())).principal == "alice")
            #expect(await refusal(of: try await untagged.sign(Fixture.claims()), by: verifier) == .unknownKey)
        }
    }

    @Test func periodicRefreshPicksUpANewKey() async throws {
        let a = try await TestKey.make(.rs256, kid: "a")
        let b = try await TestKey.make(.edDSA, kid: "b")
        let server = JWKSServer()
        server.serve(TestKey.jwks([a]))
        try await server.run { url in
            var config = try Fixture.config("jwks_url: \"\(url)\"\njwks_min_interval: 1h")
            config.jwksRefresh = .milliseconds(20)
            let (changes, continuation) = AsyncStream.makeStream(of: [String].self)
            let remote = RemoteKeySet(url: url, config: config, logger: logger) { continuation.yield($0.keyIDs) }
            try await remote.refresh()
            let verifier = TokenVerifier(config: config, fileKeys: .empty, remote: remote, now: { Fixture.now })
            server.serve(TestKey.jwks([a, b]))

            await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await remote.run() }
                var seen: [String] = []
                for await keyIDs in changes where keyIDs.contains("b") {
                    seen = keyIDs
                    break
                }
                #expect(seen == ["a", "b"])
                group.cancelAll()
            }
            // Picked up by the timer, not by the unknown kid (the interval forbids that).
            let requestsBefore = server.requests
            #expect(try await verifier.verify(try await b.sign(Fixture.claims())).principal == "alice")
            #expect(server.requests == requestsBefore)
        }
    }

    @Test func concurrentRefreshesShareOneFetch() async throws {
        let a = try await TestKey.make(.hs256, kid: "a")
        let server = JWKSServer()
        server.serve(TestKey.jwks([a]))
        try await server.run { url in
            let remote = RemoteKeySet(url: url, config: try Fixture.config("jwks_url: \"\(url)\""), logger: logger)
            server.hold()
            try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 { group.addTask { try await remote.refresh().keyIDs } }
                // One request reached the server; the other three callers wait for it.
                #expect(
                    await eventually {
                        let waiting = await remote.waitingCount
                        return server.requests == 1 && waiting == 3
                    })
                server.release()
                for try await keyIDs in group { #expect(keyIDs == ["a"]) }
            }
            #expect(server.requests == 1)
        }
    }
}
