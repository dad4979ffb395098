import FabricCore
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A JWKS document served over HTTP on 127.0.0.1 by Hummingbird, changeable while it runs.
///
/// Each request is counted; with `hold()` requests wait until `release()`, so a test can
/// have several fetches in flight at once.
final class JWKSServer: Sendable {
    private struct State {
        var status = 200
        var body: [UInt8] = []
        var requests = 0
        var held = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Serves `body` with `status` from now on.
    func serve(_ body: [UInt8], status: Int = 200) {
        state.withLock {
            $0.body = body
            $0.status = status
        }
    }

    /// Requests answered or waiting so far.
    var requests: Int { state.withLock { $0.requests } }

    /// Makes requests wait for `release()`.
    func hold() { state.withLock { $0.held = true } }

    /// Lets waiting and later requests through.
    func release() {
        let waiting = state.withLock { state in
            state.held = false
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    private func respond() async -> Response {
        await withCheckedContinuation { continuation in
            let proceed = state.withLock {
                $0.requests += 1
                if $0.held { $0.waiting.append(continuation) }
                return !$0.held
            }
            if proceed { continuation.resume() }
        }
        let (status, body) = state.withLock { ($0.status, $0.body) }
        return Response(
            status: .init(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Runs the server for the duration of `body`, which gets the JWKS URL, then shuts it
    /// down gracefully.
    func run(_ body: (String) async throws -> Void) async throws {
        let router = Router()
        router.get("/jwks.json") { _, _ in await self.respond() }
        router.get("/moved") { _, _ in Response(status: .movedPermanently, headers: [.location: "/jwks.json"]) }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "jwks-server")
        logger.logLevel = .warning
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let services = ServiceGroup(configuration: .init(services: [application], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            let outcome: Result<Void, any Error>
            do {
                try await body("http://127.0.0.1:\(port)/jwks.json")
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            // Held requests would keep the server from draining.
            release()
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
            try outcome.get()
        }
    }
}
