import FabricTestSupport
import Testing

/// The test harness's mosquitto: a real broker on a free loopback port, reachable by the
/// real mosquitto clients (the MQTT adapter's tests build on it).
@Suite("mosquitto harness", .timeLimit(.minutes(2)))
struct MosquittoHarnessTests {
    @Test func brokerCarriesAMessageBetweenRealClients() async throws {
        let broker = try await Mosquitto.start()
        let subscriber = try ChildProcess(
            "mosquitto_sub", arguments: ["-h", "127.0.0.1", "-p", String(broker.port), "-t", "fabric/test", "-C", "1", "-v"])
        // The broker logs each new client, so the subscription is in place once its
        // connection shows up.
        let publisherArguments = ["-h", "127.0.0.1", "-p", String(broker.port), "-t", "fabric/test", "-m", "hello", "-q", "1"]
        var received: Int32?
        for _ in 0..<50 where received == nil {
            let publisher = try ChildProcess("mosquitto_pub", arguments: publisherArguments)
            #expect(await publisher.waitForExit(timeout: .seconds(10)) == 0)
            received = await subscriber.waitForExit(timeout: .milliseconds(200))
        }
        #expect(received == 0)
        #expect(subscriber.output.contains("fabric/test hello"))
        await broker.stop()
    }
}
