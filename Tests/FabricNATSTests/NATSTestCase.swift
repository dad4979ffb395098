import FabricCore
import FabricNATS
import FabricTestSupport
import Logging

/// Runs `body` against a fresh nats-server with JetStream and a connection to it.
func withNATS<Result>(
    sendAsap: Bool = true, _ body: (NATSServer, NATSConnection) async throws -> Result
) async throws -> Result {
    let server = try await NATSServer.start()
    do {
        let connection = try await NATSConnection.connect(
            NATSOptions(urls: [server.url], name: "test", reconnectWait: .milliseconds(50), sendAsap: sendAsap),
            logger: Logger(label: "test"))
        let result = try await body(server, connection)
        connection.close()
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

/// Collects the first `count` messages of a stream.
func collect(_ stream: NATSMessageStream, count: Int) async -> [NATSMessage] {
    var messages: [NATSMessage] = []
    for await message in stream {
        messages.append(message)
        if messages.count == count { break }
    }
    return messages
}
