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

@Suite("PooledRandom")
struct PooledRandomTests {
    @Test("draws across many refills are distinct and use every bit")
    func drawsAreDistinctAndUseEveryBit() {
        var generator = PooledRandom()
        var seen = Set<UInt64>()
        var ones = [Int](repeating: 0, count: 64)
        let draws = 10_000
        for _ in 0..<draws {
            let value = generator.next()
            seen.insert(value)
            for bit in 0..<64 where value & (1 << UInt64(bit)) != 0 { ones[bit] += 1 }
        }
        #expect(seen.count == draws)
        // Each bit is set in about half of the draws; 40–60 % is over 20 standard deviations wide.
        #expect(ones.allSatisfy { $0 > draws * 4 / 10 && $0 < draws * 6 / 10 })
    }
}
