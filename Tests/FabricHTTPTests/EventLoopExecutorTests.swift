import Dispatch
import NIOCore
import NIOPosix
import Testing

@testable import FabricHTTP

/// A connection's task and its children run on the connection's event loop, including
/// after a suspension resumed from another thread (as a NATS reply is).
@Suite("Event loop executor")
struct EventLoopExecutorTests {
    @Test func tasksPreferringTheLoopRunOnItBeforeAndAfterSuspending() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loop = group.next()
        let places = await withTaskExecutorPreference(EventLoopExecutor(loop)) {
            var places = [loop.inEventLoop]
            // Resumed from a Dispatch thread, like nats.c's delivery thread resumes a request.
            await withCheckedContinuation { continuation in DispatchQueue.global().async { continuation.resume() } }
            places.append(loop.inEventLoop)
            let child = await withTaskGroup(of: Bool.self) { children in
                children.addTask { loop.inEventLoop }
                return await children.next() ?? false
            }
            places.append(child)
            return places
        }
        #expect(places == [true, true, true])
        #expect(!loop.inEventLoop)
        try await group.shutdownGracefully()
    }
}
