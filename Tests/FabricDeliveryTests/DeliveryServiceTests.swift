import FabricCore
import FabricDelivery
import FabricTestSupport
import Testing

@Suite("Delivery service", .timeLimit(.minutes(2)))
struct DeliveryServiceTests {
    @Test func whoWaitsForAServiceIsToldWhenDeliveryStops() async throws {
        try await DeliveryHarness.run(yaml: "  services:\n    known: {}\n") { harness in
            let delivery = harness.delivery()
            let never = Task { await delivery.waitUntilConsuming("never") }
            try await harness.with([delivery]) {
                #expect(await delivery.waitUntilConsuming("known"))
            }
            // No service of that name ever had work: the waiter learns it when delivery stops.
            #expect(await never.value == false)
            #expect(await delivery.waitUntilConsuming("never") == false)
            #expect(await delivery.waitUntilConsuming("known"))
        }
    }

    @Test func aCancelledWaiterReturnsAtOnce() async throws {
        try await DeliveryHarness.run { harness in
            let idle = harness.delivery()
            let waiting = Task { await idle.waitUntilConsuming("anything") }
            waiting.cancel()
            #expect(await waiting.value == false)
            let cancelledBefore = Task { () -> Bool in
                withUnsafeCurrentTask { $0?.cancel() }
                return await idle.waitUntilConsuming("anything")
            }
            #expect(await cancelledBefore.value == false)
        }
    }
}
