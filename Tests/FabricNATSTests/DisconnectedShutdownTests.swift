import FabricCore
import FabricNATS
import FabricTestSupport
import Logging
import Synchronization
import Testing

/// Shutting down while the broker is gone must not wait for it: a drain, the end of a KV
/// watch and a priority-table watch each used to block for a server timeout (24 s for
/// `fabric up` when nats-server stopped with it). Timeouts here are ten minutes, so a
/// wait for the server shows as the suite's time limit, not as a slow pass.
@Suite("Shutdown without a broker", .timeLimit(.minutes(2)))
struct DisconnectedShutdownTests {
    func connect(_ server: NATSServer) async throws -> NATSConnection {
        try await NATSConnection.connect(
            NATSOptions(urls: [server.url], name: "orphan", reconnectWait: .seconds(1), jetStreamTimeout: .seconds(600)),
            logger: Logger(label: "test"))
    }

    @Test func aDrainWithoutAServerUnsubscribesAtOnce() async throws {
        let server = try await NATSServer.start()
        let connection = try await connect(server)
        defer { connection.close() }
        let subscription = try connection.subscribe(to: "orphan.>") { _ in }
        try await connection.flush()
        await server.stop()
        #expect(await eventually { !connection.isConnected })
        await subscription.drain(timeout: .seconds(600))
        #expect(!subscription.isValid)
    }

    @Test func endingAKeyValueWatchWithoutAServerDoesNotWaitForIt() async throws {
        let server = try await NATSServer.start()
        let connection = try await connect(server)
        defer { connection.close() }
        let bucket = try await JetStream(connection).ensureKeyValue(KeyValueConfig(bucket: "orphan"))
        let watch = try bucket.watch("k")
        let caughtUp = Atomic<Bool>(false)
        let reader = Task {
            for await update in watch where update == .caughtUp { caughtUp.store(true, ordering: .relaxed) }
        }
        #expect(await eventually { caughtUp.load(ordering: .relaxed) })
        await server.stop()
        #expect(await eventually { !connection.isConnected })
        // Ends the iteration: stopping the watch (deleting its consumer) is left to its thread.
        reader.cancel()
        await reader.value
    }

    @Test func aPriorityWatchDoesNotStartWhileDisconnected() async throws {
        let starts = Atomic<Int>(0)
        let watch = PriorityTableWatch(
            state: PriorityTableState(), logger: Logger(label: "test"),
            checkReady: { () throws(NATSError) in throw NATSError(.notConnected, message: "not connected to NATS") },
            start: { () throws(NATSError) in
                starts.add(1, ordering: .relaxed)
                return AsyncStream { $0.finish() }
            })
        let (events, sink) = AsyncStream.makeStream(of: PriorityTableWatch.Event.self)
        let follower = Task {
            await watch.follow(
                backoff: RetryPolicy(attempts: .max, initial: .milliseconds(1), max: .milliseconds(1), multiplier: 1, jitter: 0)
            ) {
                sink.yield($0)
            }
        }
        var restarts = 0
        for await event in events {
            guard case .restarting(let reason, _, _) = event else { continue }
            #expect(reason.contains("not connected"), "\(reason)")
            restarts += 1
            if restarts == 3 { break }
        }
        follower.cancel()
        await follower.value
        #expect(starts.load(ordering: .relaxed) == 0)
    }
}
