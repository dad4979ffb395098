import Dispatch

/// Runs nats.c calls that block (connect, flush, JetStream API, fetch) off the
/// cooperative thread pool, which has only as many threads as cores: one blocked
/// cooperative thread on a 2-core machine halves the fabric's capacity.
enum Blocking {
    static func run<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            // Not `DispatchQueue.global()`: on Linux that is the pool Swift concurrency runs
            // its tasks on, as wide as the machine has cores, so two blocking calls on two
            // cores would stall every task of the process (seen as ack waits expiring under
            // load). A serial queue of its own targets Dispatch's overcommit pool, which
            // adds a thread when all are busy instead.
            DispatchQueue(label: "fabric.nats.blocking").async { continuation.resume(returning: body()) }
        }
    }

    static func run<Result: Sendable>(
        _ body: @escaping @Sendable () throws(NATSError) -> Result
    ) async throws(NATSError) -> Result {
        let result: Swift.Result<Result, NATSError> = await run {
            do throws(NATSError) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
