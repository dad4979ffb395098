import FabricCore
import FabricNATS
import FabricObservability
import FabricTestSupport
import Logging
import Synchronization
import Testing

@testable import FabricHTTP

/// The priority table watch survives its own failures: every instance keeps applying
/// changes to `fabric-config` whatever happened to its watch.
@Suite("HTTP priority table watch", .timeLimit(.minutes(2)))
struct PriorityWatchTests {
    static let backoff = RetryPolicy(attempts: .max, initial: .milliseconds(5), max: .milliseconds(50), multiplier: 2, jitter: 0)

    static func table(_ priority: Priority) -> [UInt8] {
        Array("version: 1\npriorities:\n  - { type: \"report.*\", priority: \(priority.rawValue) }\n".utf8)
    }

    @Test func aWatchThatCannotStartIsRetriedUntilItCan() async throws {
        try await Self.withBucket { jetStream, topology, bucket in
            // The bucket's stream is gone: starting a watch fails ("no stream matches subject").
            try await jetStream.deleteStream("KV_\(topology.configBucket.bucket)")
            let state = PriorityTableState()
            let readiness = Readiness()
            readiness.register(PriorityTableWatcher.component)
            let watcher = PriorityTableWatcher(
                bucket: bucket, state: state, metrics: HTTPMetrics(), readiness: readiness, logger: HTTPTestAdapter.logger,
                backoff: Self.backoff)
            try await withServices([watcher]) {
                #expect(await eventually { readiness.report.contains("priorities: cannot watch the priority table") })
                _ = try await jetStream.ensureKeyValue(topology.configBucket)
                let revision = try await bucket.put(FabricNames.ConfigKey.priorities, Self.table(.batch))
                await state.waitUntilApplied(revision: revision)
                #expect(state.priority(for: "report.daily") == .batch)
                #expect(await eventually { readiness.isReady })
            }
        }
    }

    @Test func aWatchThatEndsIsStartedAgainAndLaterChangesApply() async throws {
        try await Self.withBucket { _, _, bucket in
            let watch = ControlledWatch(bucket: bucket)
            let state = PriorityTableState()
            let readiness = Readiness()
            readiness.register(PriorityTableWatcher.component)
            let watcher = PriorityTableWatcher(
                state: state, metrics: HTTPMetrics(), readiness: readiness, logger: HTTPTestAdapter.logger,
                backoff: Self.backoff, watch: { () throws(NATSError) in try watch.start() })
            try await withServices([watcher]) {
                let first = try await bucket.put(FabricNames.ConfigKey.priorities, Self.table(.low))
                await state.waitUntilApplied(revision: first)
                #expect(state.priority(for: "report.daily") == .low)
                #expect(await eventually { readiness.isReady })

                // The watch ends and cannot start again for a while: not ready, the table stays.
                watch.refuse(true)
                watch.endCurrent()
                #expect(await eventually { watch.starts >= 2 })
                #expect(!readiness.isReady)
                #expect(await eventually { readiness.report.contains("priorities: cannot watch the priority table") })
                #expect(state.priority(for: "report.daily") == .low)
                // A change made meanwhile, and one after: both reach the instance.
                let meanwhile = try await bucket.put(FabricNames.ConfigKey.priorities, Self.table(.critical))
                watch.refuse(false)
                await state.waitUntilApplied(revision: meanwhile)
                #expect(state.priority(for: "report.daily") == .critical)
                let later = try await bucket.put(FabricNames.ConfigKey.priorities, Self.table(.batch))
                await state.waitUntilApplied(revision: later)
                #expect(state.priority(for: "report.daily") == .batch)
                #expect(await eventually { readiness.isReady })
                #expect(watch.starts >= 3)
            }
        }
    }

    /// A nats-server with the `fabric-config` bucket.
    static func withBucket(_ body: (JetStream, FabricTopology, KeyValue) async throws -> Void) async throws {
        let server = try await NATSServer.start()
        let connection = try await NATSConnection.connect(
            NATSOptions(urls: [server.url], name: "priority-watch-test", reconnectWait: .milliseconds(50)),
            logger: HTTPTestAdapter.logger)
        do {
            let jetStream = try JetStream(connection)
            var settings = FabricConfig.defaults.jetstream
            settings.inMemory = true
            let topology = FabricTopology(config: settings)
            let bucket = try await jetStream.ensureKeyValue(topology.configBucket)
            try await body(jetStream, topology, bucket)
        } catch {
            connection.close()
            await server.stop()
            throw error
        }
        connection.close()
        await server.stop()
    }
}

/// Watches of the real bucket that the test can end, and refuse to start.
final class ControlledWatch: Sendable {
    private struct State {
        var refusing = false
        var starts = 0
        var current: AsyncStream<KeyValueUpdate>.Continuation?
    }

    private let bucket: KeyValue
    private let state = Mutex(State())

    init(bucket: KeyValue) { self.bucket = bucket }

    /// Watches started or refused so far.
    var starts: Int { state.withLock { $0.starts } }

    /// Starts a watch that forwards the bucket's until `endCurrent`.
    func start() throws(NATSError) -> AsyncStream<KeyValueUpdate> {
        let refusing = state.withLock { state in
            state.starts += 1
            return state.refusing
        }
        if refusing { throw NATSError(.connectionClosed, message: "refused by the test") }
        let real = try bucket.watch(FabricNames.ConfigKey.priorities)
        let (stream, continuation) = AsyncStream.makeStream(of: KeyValueUpdate.self)
        let forwarding = Task {
            for await update in real { continuation.yield(update) }
            continuation.finish()
        }
        continuation.onTermination = { _ in forwarding.cancel() }
        state.withLock { $0.current = continuation }
        return stream
    }

    /// Makes later starts fail (true) or work again.
    func refuse(_ refusing: Bool) { state.withLock { $0.refusing = refusing } }

    /// Ends the watch in use, as a closed connection would.
    func endCurrent() { state.withLock { $0.current }?.finish() }
}
