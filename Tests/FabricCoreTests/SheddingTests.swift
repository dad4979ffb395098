import FabricCore
import Testing

@Suite("Priority load shedding (pure)")
struct SheddingTests {
    @Test func classesAreRefusedFromTheLowestUpPastTheWatermark() {
        let policy = SheddingPolicy(limit: 8, highWatermark: 4)
        #expect(policy.threshold(for: .batch) == 4)
        #expect(policy.threshold(for: .low) == 5)
        #expect(policy.threshold(for: .normal) == 6)
        #expect(policy.threshold(for: .high) == 7)
        #expect(policy.threshold(for: .critical) == 8)
        #expect(policy.shedClasses(inFlight: 3) == [])
        #expect(policy.shedClasses(inFlight: 4) == [.batch])
        #expect(policy.shedClasses(inFlight: 5) == [.batch, .low])
        #expect(policy.shedClasses(inFlight: 7) == [.batch, .low, .normal, .high])
        #expect(policy.shedClasses(inFlight: 8) == Priority.allCases.reversed())
    }

    @Test func nothingIsShedBelowTheWatermarkAndALowerClassGoesFirst() {
        for limit in [1, 2, 7, 10, 100, 4096] {
            for fraction in [0.0, 0.25, 0.5, 0.75, 0.9, 1.0] {
                let policy = SheddingPolicy(limit: limit, watermarkFraction: fraction)
                for inFlight in 0...(limit + 1) {
                    let admitted = Priority.allCases.filter { policy.admits($0, inFlight: inFlight) }
                    if inFlight < policy.highWatermark { #expect(admitted == Priority.allCases) }
                    if inFlight >= limit { #expect(admitted.isEmpty) }
                    // Whenever a class is admitted, every more important class is too.
                    #expect(admitted == Array(Priority.allCases.prefix(admitted.count)))
                }
            }
        }
    }

    @Test func watermarkIsClampedIntoTheLimit() {
        #expect(SheddingPolicy(limit: 10, highWatermark: 50).highWatermark == 10)
        #expect(SheddingPolicy(limit: 10, highWatermark: -3).highWatermark == 0)
        #expect(SheddingPolicy(limit: 10, watermarkFraction: 0.75).highWatermark == 7)
    }

    @Test func priorityTableFirstMatchWinsAndRoundTripsThroughJSON() throws {
        let table = try PriorityTable.parse(
            """
            version: 1
            default: low
            priorities:
              - { type: "payment.refund", priority: high }
              - { type: "payment.>", priority: critical }
              - type: "report.*"
                priority: batch
            """)
        #expect(table.priority(for: "payment.refund") == .high)
        #expect(table.priority(for: "payment.card.charge") == .critical)
        #expect(table.priority(for: "report.daily") == .batch)
        #expect(table.priority(for: "report.daily.eu") == .low)
        #expect(table.priority(for: "other") == .low)
        #expect(try PriorityTable.parse(table.json) == table)
        #expect(try PriorityTable.parse("") == PriorityTable())
    }

    @Test func invalidTablesNameTheEntryAndField() {
        #expect(throws: ValidationError.self) { try PriorityTable.parse("version: 2") }
        do {
            _ = try PriorityTable.parse("priorities:\n  - { type: \"a.>\", priority: urgent }\n")
            Issue.record("an unknown class was accepted")
        } catch {
            #expect(error.path == "priorities[0].priority")
        }
        do {
            _ = try PriorityTable.parse("priorities:\n  - { type: \"a.>.b\", priority: low }\n")
            Issue.record("a bad pattern was accepted")
        } catch {
            #expect(error.path == "priorities[0].type")
        }
        do {
            _ = try PriorityTable.parse("priorities:\n  - { type: \"a\", priority: low, extra: 1 }\n")
            Issue.record("an unknown key was accepted")
        } catch {
            #expect(error.path == "priorities[0].extra")
        }
    }
}
