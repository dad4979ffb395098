import FabricConformance
import FabricCore
import FabricNATS
import FabricTestSupport
import FabricWebSocket
import Foundation
import Testing

/// A client that stops reading, small socket buffers on both ends, and a flood: the adapter's
/// bounded buffer and its policy decide what the client gets.
@Suite("WebSocket backpressure", .timeLimit(.minutes(3)))
struct BackpressureTests {
    static let sent = 1000
    static let size = 16
    /// Every 100th message is `high`, the rest `batch` (ten `high` ones fit in the buffer).
    static func priority(_ index: Int) -> Priority { index % 100 == 0 ? .high : .batch }

    struct Run {
        let received: [Int]
        let dropped: Int
        let bufferedAtPeak: Int
        let event: [String: JSONValue]?
    }

    /// Floods a client that does not read, then lets it read and reports what it got.
    func flood(_ policy: DropPolicy) async throws -> Run {
        try await WSHarness.run { harness in
            let adapter = try await harness.adapter(
                yaml: """
                    buffer: { size: \(Self.size), drop_policy: \(policy.rawValue) }
                    limits: { send_buffer: 4096 }
                    close_timeout: 30s
                    """, name: "ws-\(policy.rawValue)")
            return try await adapter.run {
                let peer = try Peer.start([
                    "slow", try await adapter.url.get() + "/v1/ws", harness.tokens.valid(), "flood", "4096",
                ])
                defer { Task { await peer.process.stop() } }
                #expect(await peer.event("subscribed") != nil, "\(peer.process.output)")
                let subject = FabricNames.Subject.outTopic(try Topic("flood"))
                let pad = String(repeating: "x", count: 1024)
                for index in 0..<Self.sent {
                    var envelope = Envelope(
                        type: "flood.item", source: .internal, payload: Array(#"{"n":\#(index),"pad":"\#(pad)"}"#.utf8))
                    envelope.priority = Self.priority(index)
                    try harness.connection.publish(subject, headers: envelope.headers, payload: envelope.payload)
                }
                if policy == .disconnect {
                    // The first overflow closes the session; later messages no longer reach it.
                    #expect(await eventually(timeout: .seconds(30)) { adapter.adapter.droppedMessages > 0 })
                } else {
                    // Every message reached the session: each is queued, written or dropped by now.
                    #expect(await eventually(timeout: .seconds(30)) { adapter.adapter.fannedOutMessages >= Self.sent })
                }
                let peak = adapter.adapter.bufferedMessages
                peer.process.send(SIGUSR1)
                if policy != .disconnect {
                    // The client reads again: the buffer drains, then the end marker follows the flood.
                    #expect(await eventually(timeout: .seconds(30)) { adapter.adapter.bufferedMessages == 0 })
                    var end = Envelope(type: "flood.end", source: .internal, payload: Array(#"{"end":true}"#.utf8))
                    end.priority = .critical
                    try harness.connection.publish(subject, headers: end.headers, payload: end.payload)
                }
                let event = await peer.event(policy == .disconnect ? "closed" : "done")
                return Run(
                    received: Peer.integers(event, "received"), dropped: adapter.adapter.droppedMessages, bufferedAtPeak: peak,
                    event: event)
            }
        }
    }

    /// The unbroken runs of consecutive numbers in `received`.
    static func stretches(_ received: [Int]) -> [ClosedRange<Int>] {
        var runs: [ClosedRange<Int>] = []
        for number in received {
            if let last = runs.last, last.upperBound + 1 == number {
                runs[runs.count - 1] = last.lowerBound...number
            } else {
                runs.append(number...number)
            }
        }
        return runs
    }

    @Test func dropNewestKeepsTheFirstMessages() async throws {
        let run = try await flood(.dropNewest)
        #expect(run.dropped > 0, "the policy never engaged")
        #expect(run.received.count + run.dropped == Self.sent)
        #expect(run.received == run.received.sorted(), "order changed")
        #expect(run.received.first == 0)
        // Whatever arrived while the buffer was full was dropped, so unless the socket took more
        // during the flood (the kernel may compact a full receive queue and open the window
        // again), the client got one unbroken stretch from the start and never the newest.
        // What was queued is never given up: the first drop follows a full buffer.
        let stretches = Self.stretches(run.received)
        if stretches.count == 1 { #expect(!run.received.contains(Self.sent - 1), "\(run.received)") }
        #expect((stretches.first?.count ?? 0) >= Self.size, "\(run.received)")
        #expect(run.bufferedAtPeak <= Self.size)
    }

    @Test func dropOldestKeepsTheFirstWrittenAndTheNewest() async throws {
        let run = try await flood(.dropOldest)
        #expect(run.dropped > 0, "the policy never engaged")
        #expect(run.received.count + run.dropped == Self.sent)
        #expect(run.received == run.received.sorted(), "order changed")
        // What went to the socket before it filled, then the newest the buffer held. (The first
        // messages can be dropped too: the flood fills the buffer before the event loop writes.)
        #expect(Array(run.received.suffix(Self.size)) == Array((Self.sent - Self.size)..<Self.sent))
        #expect(run.bufferedAtPeak <= Self.size)
    }

    @Test func priorityDropsTheLowestClassFirst() async throws {
        let run = try await flood(.priority)
        #expect(run.dropped > 0, "the policy never engaged")
        #expect(run.received.count + run.dropped == Self.sent)
        let droppedIndices = Set(0..<Self.sent).subtracting(run.received)
        #expect(droppedIndices.allSatisfy { Self.priority($0) == .batch }, "a high message was dropped")
        #expect((0..<Self.sent).filter { Self.priority($0) == .high }.allSatisfy(run.received.contains))
        #expect(run.received == run.received.sorted(), "order changed")
        #expect(run.bufferedAtPeak <= Self.size)
    }

    @Test func disconnectClosesTheSlowConsumerWith1013() async throws {
        let run = try await flood(.disconnect)
        #expect(run.event?["code"]?.numberValue == 1013, "\(String(describing: run.event))")
        #expect(run.received.count < Self.sent)
        #expect(run.dropped > 0)
        #expect(run.received == Array(0..<run.received.count))
    }
}
