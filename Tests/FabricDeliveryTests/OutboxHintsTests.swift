import Testing

@testable import FabricDelivery

@Suite("Outbox hints")
struct OutboxHintsTests {
    @Test func aFloodForOneClientIsOnePendingHintUntilTheLoopTakesIt() {
        let hints = OutboxHints()
        // 10,000 messages for one client before the loop runs: one command.
        let sent = (0..<10_000).filter { _ in hints.add("alice~~tab", serve: true) }.count
        #expect(sent == 1)
        #expect(hints.count == 1)
        // The other kind of subscription and other clients have their own.
        #expect(hints.add("alice~~tab", serve: false))
        #expect(hints.add("bob~~tab", serve: true))
        #expect(hints.count == 3)
        // Once the loop took it, the next message is a new hint.
        hints.taken("alice~~tab", serve: true)
        #expect(hints.add("alice~~tab", serve: true))
        #expect(!hints.add("alice~~tab", serve: true))
    }
}
