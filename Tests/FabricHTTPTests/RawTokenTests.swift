import AsyncHTTPClient
import FabricConformance
import FabricCore
import FabricHTTP
import FabricNATS
import FabricTestSupport
import Foundation
import NIOHTTP1
import Testing

/// A raw token never enters the fabric (DESIGN "The canonical envelope"), whichever way
/// a client sends it: the spy on `fabric.>` sees every message the adapter publishes.
@Suite("HTTP raw tokens", .timeLimit(.minutes(3)))
struct RawTokenTests {
    @Test func aTokenInAURLNeverReachesTheFabric() async throws {
        try await EdgeCacheTests.withCountingAdapter { environment, counter, http, client in
            let token = environment.tokens.valid()
            let auth = [("Authorization", "Bearer \(token)")]
            // `access_token` on a query is not a query parameter: it is left out of the payload.
            let plain = try await client.execute(.GET, "/v1/query/plain.token?id=7&access_token=\(token)", headers: auth)
            #expect(plain.status == 200)
            let answer = try JSONDecoder().decode(CountingBackend.Answer.self, from: Data(plain.body))
            #expect(answer.query == .object(["id": .string("7")]))
            let encoded = try await client.execute(
                .GET, "/v1/query/plain.token?access%5Ftoken=\(token)&id=8", headers: auth)
            #expect(encoded.status == 200)
            #expect(
                try JSONDecoder().decode(CountingBackend.Answer.self, from: Data(encoded.body)).query
                    == .object(["id": .string("8")]))
            // Nor does it authenticate anything but an event stream.
            let anonymous = try await client.execute(.GET, "/v1/query/plain.token?access_token=\(token)")
            #expect(anonymous.status == 401)
            // An event stream takes it (EventSource cannot send headers) and publishes its presence.
            let browser = try EventStreamTests.client()
            let stream = try await EventStreamTests.open(
                try await http.urls.url(.http) + "/v1/events?session=browser&access_token=\(token)", token: nil,
                client: browser)
            var events = EventStreamReader(stream)
            #expect(try await events.nextEvent()?.event == "ready")
            let connected = await environment.spy.first { $0.subject == FabricNames.Subject.presenceConnect }
            #expect(connected != nil)
            _ = await environment.spy.first { $0.subject == "fabric.svc.counter" && $0.text.contains("\"8\"") }

            let leaks = RawTokenTests.leaks(of: token, in: environment.spy.messages)
            #expect(leaks.isEmpty, "the raw token was published: \(leaks)")
            #expect(environment.spy.messages.contains { $0.subject == "fabric.in.plain.token" })
            try await browser.shutdown()
        }
    }

    /// Subjects of the messages whose headers or payload hold `token` or its signature.
    static func leaks(of token: String, in messages: [NATSMessage]) -> [String] {
        let signature = String(token.split(separator: ".").last ?? "")
        return messages.filter { message in
            let texts = message.headers.map(\.value) + [message.text]
            return texts.contains { $0.contains(token) || (!signature.isEmpty && $0.contains(signature)) }
        }.map(\.subject)
    }
}
