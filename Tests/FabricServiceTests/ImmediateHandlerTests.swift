import Dispatch
import FabricCore
import FabricNATS
import FabricService
import FabricTestSupport
import Synchronization
import Testing

/// `onImmediate` handlers (run on the delivery thread) and the bounded queue in front of
/// the suspending ones.
@Suite("Backend SDK: immediate handlers and saturation", .timeLimit(.minutes(2)))
struct ImmediateHandlerTests {
    @Test func immediateHandlersAnswerAndMapErrorsLikeSuspendingOnes() async throws {
        try await ServiceTests.with({ connection, jetStream in
            let service = FabricService(name: "quick", connection: connection, jetStream: jetStream)
            service.onImmediate("quick.echo") { request, _ in .ok(request.payload) }
            service.onImmediate("quick.fatal") { _, _ in throw ServiceTests.Boom() }
            service.onImmediate("quick.flaky") { _, _ in throw RetryableError("busy") }
            // First registered match wins across both kinds.
            service.on("quick.*") { _, _ in .ok(Array("suspending".utf8)) }
            service.onImmediate("quick.shadowed") { _, _ in .ok(Array("never".utf8)) }
            return [service]
        }) { connection, _ in
            let echo = try await ServiceTests.request(connection, service: "quick", type: "quick.echo", payload: #"{"a":1}"#)
            #expect(echo.headers[HeaderName.status] == "ok")
            #expect(echo.text == #"{"a":1}"#)
            #expect(echo.headers[HeaderName.correlationId] == "corr-1")
            let fatal = try await ServiceTests.request(connection, service: "quick", type: "quick.fatal")
            #expect(fatal.headers[HeaderName.status] == "error")
            let flaky = try await ServiceTests.request(connection, service: "quick", type: "quick.flaky")
            #expect(flaky.headers[HeaderName.status] == "retry")
            #expect(flaky.headers[HeaderName.error] == "busy")
            let shadowed = try await ServiceTests.request(connection, service: "quick", type: "quick.shadowed")
            #expect(shadowed.text == "suspending")
            let late = try await ServiceTests.request(
                connection, service: "quick", type: "quick.echo", deadline: WallClock.nowMillis() - 1)
            #expect(late.headers[HeaderName.status] == "timeout")
        }
    }

    @Test func aBurstOnABatchingConnectionIsAnsweredInFull() async throws {
        // The first message holds the delivery thread, so the rest queue behind it and are
        // answered with `flush: false` but the last, whose write takes them all.
        let gate = DispatchSemaphore(value: 0)
        let first = Atomic<Bool>(true)
        let held = Atomic<Bool>(false)
        try await ServiceTests.with(
            batchWhenBusy: true,
            { connection, jetStream in
                let service = FabricService(name: "burst", connection: connection, jetStream: jetStream)
                service.onImmediate("burst.echo") { request, _ in
                    if first.exchange(false, ordering: .relaxed) {
                        held.store(true, ordering: .relaxed)
                        gate.wait()
                    }
                    return .ok(request.payload)
                }
                return [service]
            }
        ) { connection, _ in
            try await withThrowingTaskGroup(of: (Int, String).self) { requests in
                for index in 0..<50 {
                    requests.addTask {
                        let reply = try await ServiceTests.request(
                            connection, service: "burst", type: "burst.echo", payload: "\(index)")
                        return (index, reply.text)
                    }
                    if index == 0 { #expect(await eventually { held.load(ordering: .relaxed) }) }
                }
                gate.signal()
                var answers: [Int: String] = [:]
                for try await (index, text) in requests { answers[index] = text }
                #expect(answers.count == 50)
                #expect(answers.allSatisfy { $0.value == "\($0.key)" })
            }
        }
    }

    @Test func aFullQueueAnswersUnavailableAndServesWhatItHolds() async throws {
        let gate = Gate()
        try await ServiceTests.with({ connection, jetStream in
            let service = FabricService(
                name: "narrow", connection: connection, jetStream: jetStream, concurrency: 1, queueLimit: 1)
            service.on("work") { request, _ in
                await gate.wait()
                return .ok(request.payload)
            }
            return [service]
        }) { connection, _ in
            try await withThrowingTaskGroup(of: String.self) { requests in
                let status: @Sendable (Int) async throws -> String = { index in
                    let reply = try await ServiceTests.request(connection, service: "narrow", type: "work", payload: "\(index)")
                    return reply.headers[HeaderName.status] ?? "?"
                }
                requests.addTask { try await status(0) }
                #expect(await eventually { await gate.waiting == 1 })
                // The only worker is held: one of these waits in the queue, the other does not fit.
                requests.addTask { try await status(1) }
                requests.addTask { try await status(2) }
                #expect(try await requests.next() == "unavailable")
                await gate.open()
                var rest: [String] = []
                for try await status in requests { rest.append(status) }
                #expect(rest == ["ok", "ok"])
            }
        }
    }
}

/// Holds handlers until opened.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// Handlers held now.
    var waiting: Int { waiters.count }

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        waiters.forEach { $0.resume() }
        waiters = []
    }
}
