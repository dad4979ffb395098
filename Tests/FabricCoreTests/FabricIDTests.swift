import FabricCore
import Testing

@Suite("Ids")
struct FabricIDTests {
    @Test func generatedIDsAreUniqueAndSortInCreationOrder() {
        let ids = (0..<20_000).map { _ in FabricID.generate() }
        #expect(Set(ids).count == ids.count)
        #expect(ids == ids.sorted())
        #expect(ids.allSatisfy(FabricID.isValid))
    }

    @Test func idsCarryTheirTime() {
        let millis: UInt64 = 1_800_000_000_123
        let id = FabricID.generate(millis: millis)
        #expect(FabricID.timestamp(of: id) == millis)
    }

    @Test func idsFromLaterMillisecondsSortLater() {
        let early = FabricID.generate(millis: 1_800_000_000_000)
        let late = FabricID.generate(millis: 1_800_000_000_001)
        #expect(early < late)
    }

    @Test func derivedIDsAreDeterministicPerPrincipalAndKey() {
        let first = FabricID.derived(principal: "alice", key: "order-1")
        #expect(first == FabricID.derived(principal: "alice", key: "order-1"))
        #expect(first != FabricID.derived(principal: "bob", key: "order-1"))
        #expect(first != FabricID.derived(principal: "alice", key: "order-2"))
        // The separator keeps ("ab","c") and ("a","bc") apart.
        #expect(FabricID.derived(principal: "ab", key: "c") != FabricID.derived(principal: "a", key: "bc"))
        #expect(FabricID.isValid(first))
        #expect(first.hasPrefix("K"))
        #expect(FabricID.timestamp(of: first) == nil)
    }

    @Test func malformedIDsAreNotValid() {
        for id in [
            "", "short", String(repeating: "0", count: 25), String(repeating: "U", count: 26),
            "8" + String(repeating: "0", count: 25),
        ] {
            #expect(!FabricID.isValid(id), "\(id) passed")
        }
    }
}
