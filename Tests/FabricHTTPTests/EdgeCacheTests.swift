import FabricConformance
import FabricCore
import FabricTestSupport
import Foundation
import NIOHTTP1
import Testing

@testable import FabricHTTP

@Suite("HTTP edge cache", .timeLimit(.minutes(3)))
struct EdgeCacheTests {
    /// Runs `body` with the counting backend, one HTTP adapter and an HTTP/1.1 client to it.
    static func withCountingAdapter(
        _ body: (ConformanceEnvironment, CountingBackend, HTTPTestAdapter, AsyncHTTPDriver) async throws -> Void
    ) async throws {
        try await ConformanceEnvironment.run(HTTPFixtures.options) { environment in
            let counter = CountingBackend(connection: environment.connection, jetStream: environment.jetStream)
            let http = try await HTTPTestAdapter.make(environment)
            try await withServices([counter.service]) {
                try await http.run {
                    let client = try AsyncHTTPDriver(
                        listener: .http, urls: http.urls, certificate: try await TestCertificate.shared())
                    try await body(environment, counter, http, client)
                    await client.close()
                }
            }
        }
    }

    @Test func missHitNotModifiedAndExpiry() async throws {
        try await EdgeCacheTests.withCountingAdapter { environment, counter, http, client in
            let auth = [("Authorization", "Bearer \(environment.tokens.valid())")]
            let miss = try await client.execute(.GET, "/v1/query/cached.item?id=1&tag=a&tag=b", headers: auth)
            #expect(miss.status == 200)
            #expect(miss.headers["x-cache"] == "MISS")
            let answer = try JSONDecoder().decode(CountingBackend.Answer.self, from: Data(miss.body))
            #expect(answer.count == 1)
            #expect(answer.principal == "alice")
            #expect(answer.query == .object(["id": .string("1"), "tag": .array([.string("a"), .string("b")])]))
            let etag = try #require(miss.headers["etag"])
            #expect(miss.headers["cache-control"]?.hasPrefix("private") == true)

            // The same query, parameters in another order: served from the cache.
            let hit = try await client.execute(.GET, "/v1/query/cached.item?tag=a&tag=b&id=1", headers: auth)
            #expect(hit.status == 200)
            #expect(hit.headers["x-cache"] == "HIT")
            #expect(hit.body == miss.body)
            #expect(hit.headers["etag"] == etag)
            #expect(hit.headers["age"] != nil)
            #expect(counter.calls("cached.item") == 1)

            let notModified = try await client.execute(
                .GET, "/v1/query/cached.item?id=1&tag=a&tag=b", headers: auth + [("If-None-Match", etag)])
            #expect(notModified.status == 304)
            #expect(notModified.body.isEmpty)
            #expect(notModified.headers["etag"] == etag)
            #expect(counter.calls("cached.item") == 1)

            // The rule's ttl is 5s: past it the entry is not served any more.
            http.clock.advance(by: .seconds(6))
            let expired = try await client.execute(.GET, "/v1/query/cached.item?id=1&tag=a&tag=b", headers: auth)
            #expect(expired.headers["x-cache"] == "MISS")
            #expect(try JSONDecoder().decode(CountingBackend.Answer.self, from: Data(expired.body)).count == 2)
            #expect(counter.calls("cached.item") == 2)

            // A client that asks for a fresh answer gets one.
            let fresh = try await client.execute(
                .GET, "/v1/query/cached.item?id=1&tag=a&tag=b", headers: auth + [("Cache-Control", "no-cache")])
            #expect(fresh.headers["x-cache"] == "MISS")
            #expect(counter.calls("cached.item") == 3)
        }
    }

    @Test func aSecondInstanceIsServedFromTheSharedBucket() async throws {
        try await ConformanceEnvironment.run(HTTPFixtures.options) { environment in
            let counter = CountingBackend(connection: environment.connection, jetStream: environment.jetStream)
            let first = try await HTTPTestAdapter.make(environment, name: "first")
            let second = try await HTTPTestAdapter.make(environment, name: "second")
            let certificate = try await TestCertificate.shared()
            try await withServices([counter.service]) {
                try await first.run {
                    try await second.run {
                        let auth = [("Authorization", "Bearer \(environment.tokens.valid())")]
                        let one = try AsyncHTTPDriver(listener: .http, urls: first.urls, certificate: certificate)
                        let two = try AsyncHTTPDriver(listener: .http, urls: second.urls, certificate: certificate)
                        let miss = try await one.execute(.GET, "/v1/query/cached.shared?k=v", headers: auth)
                        #expect(miss.headers["x-cache"] == "MISS")
                        let hit = try await two.execute(.GET, "/v1/query/cached.shared?k=v", headers: auth)
                        #expect(hit.headers["x-cache"] == "HIT")
                        #expect(hit.body == miss.body)
                        #expect(counter.calls("cached.shared") == 1)
                        await one.close()
                        await two.close()
                    }
                }
            }
        }
    }

    @Test func principalsNeverSeeEachOthersAnswers() async throws {
        try await EdgeCacheTests.withCountingAdapter { environment, counter, http, client in
            let alice = [("Authorization", "Bearer \(environment.tokens.valid(sub: "alice"))")]
            let bob = [("Authorization", "Bearer \(environment.tokens.valid(sub: "bob"))")]
            func principal(_ reply: HTTPReply) throws -> String? {
                try JSONDecoder().decode(CountingBackend.Answer.self, from: Data(reply.body)).principal
            }
            // vary: [principal] — each principal has its own entry.
            let aliceMiss = try await client.execute(.GET, "/v1/query/cached.mine", headers: alice)
            let bobMiss = try await client.execute(.GET, "/v1/query/cached.mine", headers: bob)
            #expect(aliceMiss.headers["x-cache"] == "MISS")
            #expect(bobMiss.headers["x-cache"] == "MISS")
            #expect(try principal(bobMiss) == "bob")
            let aliceHit = try await client.execute(.GET, "/v1/query/cached.mine", headers: alice)
            let bobHit = try await client.execute(.GET, "/v1/query/cached.mine", headers: bob)
            #expect(aliceHit.headers["x-cache"] == "HIT")
            #expect(try principal(aliceHit) == "alice")
            #expect(bobHit.headers["x-cache"] == "HIT")
            #expect(try principal(bobHit) == "bob")
            #expect(counter.calls("cached.mine") == 2)

            // vary: [] — one entry for everyone.
            let sharedMiss = try await client.execute(.GET, "/v1/query/shared.all", headers: alice)
            let sharedHit = try await client.execute(.GET, "/v1/query/shared.all", headers: bob)
            #expect(sharedMiss.headers["x-cache"] == "MISS")
            #expect(sharedHit.headers["x-cache"] == "HIT")
            #expect(sharedHit.body == sharedMiss.body)
            #expect(counter.calls("shared.all") == 1)
        }
    }

    @Test func forwardedHeadersArePartOfTheKey() async throws {
        try await EdgeCacheTests.withCountingAdapter { environment, counter, http, client in
            let auth = [("Authorization", "Bearer \(environment.tokens.valid())")]
            func ask(_ region: String) async throws -> (cache: String?, answer: CountingBackend.Answer) {
                let reply = try await client.execute(
                    .GET, "/v1/query/regional.price?sku=1", headers: auth + [("X-Region", region)])
                #expect(reply.status == 200)
                return (
                    reply.headers["x-cache"],
                    try JSONDecoder().decode(CountingBackend.Answer.self, from: Data(reply.body))
                )
            }
            // The same principal and query from two regions: two answers, each cached apart.
            for (region, cache) in [("eu", "MISS"), ("us", "MISS"), ("eu", "HIT"), ("us", "HIT")] {
                let reply = try await ask(region)
                #expect(reply.cache == cache, "\(region)")
                #expect(reply.answer.region == region)
            }
            #expect(counter.calls("regional.price") == 2)
        }
    }

    @Test func errorsPostsAndUncachedRoutesAreNeverCached() async throws {
        try await EdgeCacheTests.withCountingAdapter { environment, counter, http, client in
            let auth = [("Authorization", "Bearer \(environment.tokens.valid())")]
            for _ in 1...2 {
                let failed = try await client.execute(.GET, "/v1/query/cached.fail", headers: auth)
                #expect(failed.status == 500)
                #expect(failed.field("status") == "error")
                #expect(failed.headers["etag"] == nil)
            }
            #expect(counter.calls("cached.fail") == 2)
            for _ in 1...2 {
                let posted = try await client.execute(
                    .POST, "/v1/request/cached.item", headers: auth, body: Array("{}".utf8))
                #expect(posted.status == 200)
                #expect(posted.headers["x-cache"] == nil)
            }
            #expect(counter.calls("cached.item") == 2)
            for _ in 1...2 {
                let plain = try await client.execute(.GET, "/v1/query/plain.item", headers: auth)
                #expect(plain.headers["x-cache"] == "MISS")
            }
            #expect(counter.calls("plain.item") == 2)
        }
    }

    @Test func fiftyConcurrentIdenticalQueriesMakeOneBackendCall() async throws {
        try await ConformanceEnvironment.run(HTTPFixtures.options) { environment in
            let http = try await HTTPTestAdapter.make(environment)
            try await http.run {
                // HTTP/2: all fifty on one connection at once, none held back by a client pool.
                let client = try AsyncHTTPDriver(
                    listener: .https, urls: http.urls, certificate: try await TestCertificate.shared())
                let auth = [("Authorization", "Bearer \(environment.tokens.valid())")]
                let cache = try #require(http.adapter.ingress.cache)
                let replies = try await withThrowingTaskGroup(of: HTTPReply.self) { group in
                    for _ in 0..<50 {
                        group.addTask { try await client.execute(.GET, "/v1/query/sf.item?x=1", headers: auth) }
                    }
                    // The backend holds the one call it got until every other request waits on it.
                    #expect(await environment.gate.waitForArrivals(1))
                    #expect(await eventually(timeout: .seconds(30)) { cache.coalescing == 49 })
                    environment.gate.open()
                    var replies: [HTTPReply] = []
                    for try await reply in group { replies.append(reply) }
                    return replies
                }
                #expect(environment.gate.arrivals == 1)
                #expect(replies.allSatisfy { $0.status == 200 && $0.body == replies[0].body })
                #expect(replies.filter { $0.headers["x-cache"] == "MISS" }.count == 1)
                #expect(replies.filter { $0.headers["x-cache"] == "COALESCED" }.count == 49)
                await client.close()
            }
        }
    }
}
