import FabricCore
import FabricNATS
import FabricService
import Synchronization

/// The `slow` backend: every request waits at a gate until the test opens it, so a test
/// knows exactly how many requests are in flight inside the fabric.
public final class GateBackend: Sendable {
    /// The service to run.
    public let service: FabricService
    private let gate = OneShotSignal()
    private let arrived = Mutex(0)
    private let waiting = Waiting<Int>()

    /// Creates the backend on `connection` under `name`.
    public init(connection: NATSConnection, jetStream: JetStream, name: String = "slow") {
        service = FabricService(name: name, connection: connection, jetStream: jetStream, concurrency: 10_000)
        service.on(">") { [self] request, _ in
            let count = arrived.withLock { count -> Int in
                count += 1
                return count
            }
            waiting.offer(count)
            await gate.wait()
            return .ok(request.payload, contentType: "application/json")
        }
    }

    /// Requests that reached the backend so far.
    public var arrivals: Int { arrived.withLock { $0 } }

    /// Waits until `count` requests have reached the backend; false on timeout.
    public func waitForArrivals(_ count: Int, timeout: Duration = .seconds(20)) async -> Bool {
        await waiting.wait(
            timeout: timeout, current: { [self] in arrived.withLock { $0 >= count ? $0 : nil } }, matches: { $0 >= count })
            != nil
    }

    /// Lets every waiting and future request through.
    public func open() { gate.fire() }
}
