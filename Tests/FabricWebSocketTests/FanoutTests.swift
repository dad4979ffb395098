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
}
