import FabricConformance
import FabricCore
import FabricNATS
import FabricTestSupport
import FabricWebSocket
import HTTPTypes
import Testing

@Suite("WebSocket fan-out", .timeLimit(.minutes(3)))
struct FanoutTests {
    @Test func aTopicMessageReaches200ClientsThroughOneNATSSubscription() async throws {
        try await WSHarness.run(monitor: true) { harness in
            let adapter = try await harness.adapter(name: "ws-fanout")
            try await adapter.run {
                let url = try await adapter.endpoint()
                var clients: [WSTestClient] = []
                for index in 0..<200 {
                    let client = try await WSTestClient.connect(
                        url, headers: [.authorization: "Bearer \(harness.tokens.valid(sub: "user\(index % 7)"))"])
                    client.send(json: ["op": .string("subscribe"), "id": .string("s"), "topics": .array([.string("news/+")])])
                    clients.append(client)
                }
                for client in clients { #expect(await client.frame("subscribed") != nil) }

                // One subscription for the topic on the adapter's connection, as the server sees it.
                let subscriptions = try await harness.subscriptions(ofConnection: "ws-fanout")
                #expect(subscriptions.filter { $0 == "fabric.out.topic.news.*" }.count == 1, "\(subscriptions)")
                #expect(adapter.adapter.fanoutSubscriptions == 1 + 7)  // the topic and seven principals

                for index in 0..<10 {
                    var envelope = Envelope(type: "news.item", source: .internal, payload: Array(#"{"n":\#(index)}"#.utf8))
                    envelope.topic = "news/eu"
                    try harness.connection.publish(
                        FabricNames.Subject.outTopic(try Topic("news/eu")), headers: envelope.headers, payload: envelope.payload)
                }
                for client in clients {
                    #expect(await client.count(atLeast: 10) { $0.op == "message" })
                    let numbers = client.messages.filter { $0.op == "message" }.compactMap { $0.json?["payload"] }
                    #expect(numbers == (0..<10).map { JSONValue.object(["n": .number(Double($0))]) })
                    #expect(client.messages.first { $0.op == "message" }?.string("topic") == "news/eu")
                }
                #expect(adapter.adapter.fannedOutMessages == 2000)
                for client in clients { await client.close() }
                // The last unsubscribe releases the NATS subscription.
                #expect(await eventually { adapter.adapter.fanoutSubscriptions == 0 })
            }
        }
    }

    @Test func aUserMessageReachesEverySessionOfThatPrincipalAndNoOther() async throws {
        try await WSHarness.run { harness in
            let adapter = try await harness.adapter(name: "ws-user")
            try await adapter.run {
                func connect(_ principal: String, session: String) async throws -> WSTestClient {
                    let client = try await WSTestClient.connect(
                        try await adapter.endpoint("session=\(session)"),
                        headers: [.authorization: "Bearer \(harness.tokens.valid(sub: principal))"])
                    #expect(await client.frame("ready") != nil)
                    return client
                }
                let phone = try await connect("carol", session: "phone")
                let laptop = try await connect("carol", session: "laptop")
                let other = try await connect("dave", session: "phone")
                func send(to principal: String, _ number: Int) throws {
                    let envelope = Envelope(type: "note.new", source: .internal, payload: Array(#"{"n":\#(number)}"#.utf8))
                    try harness.connection.publish(
                        FabricNames.Subject.outUser(principal: principal), headers: envelope.headers, payload: envelope.payload)
                }
                try send(to: "carol", 1)
                try send(to: "dave", 2)
                for client in [phone, laptop] {
                    #expect(await client.count(atLeast: 1) { $0.op == "message" })
                    #expect(
                        client.messages.filter { $0.op == "message" }.compactMap { $0.json?["payload"] } == [
                            .object(["n": .number(1)])
                        ])
                }
                // Dave's own message came after Carol's on one connection: had hers reached him, it would be here first.
                #expect(await other.count(atLeast: 1) { $0.op == "message" })
                #expect(
                    other.messages.filter { $0.op == "message" }.compactMap { $0.json?["payload"] } == [
                        .object(["n": .number(2)])
                    ])
                for client in [phone, laptop, other] { await client.close() }
            }
        }
    }
}
