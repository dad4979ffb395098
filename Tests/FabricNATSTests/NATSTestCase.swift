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

/// Collects the first `count` messages of a stream, or what came within `timeout`
/// (so a lost message fails the test instead of hanging it).
func collect(_ stream: NATSMessageStream, count: Int, timeout: Duration = .seconds(30)) async -> [NATSMessage] {
    await withTaskGroup(of: [NATSMessage]?.self) { group in
        group.addTask {
            var messages: [NATSMessage] = []
            for await message in stream {
                messages.append(message)
                if messages.count == count { break }
            }
            return messages
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first ?? []
    }
}
