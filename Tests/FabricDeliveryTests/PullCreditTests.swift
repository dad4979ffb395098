import Testing

@testable import FabricDelivery

@Suite("Pull credit")
struct PullCreditTests {
    let now = ContinuousClock.now

    @Test func firstRequestAsksForTheWholeCapacity() {
        var credit = PullCredit(capacity: 8)
        let first = credit.next(now: now, expires: .seconds(5), grace: .seconds(1))
        #expect(first?.batch == 8)
        #expect(credit.requested == 8)
        #expect(credit.next(now: now, expires: .seconds(5), grace: .seconds(1)) == nil)
    }

    @Test func messagesInWorkAndAskedForNeverExceedTheCapacity() {
        var credit = PullCredit(capacity: 8)
        _ = credit.next(now: now, expires: .seconds(5), grace: .seconds(1))
        for _ in 0..<5 { credit.received() }
        #expect(credit.inFlight == 5)
        #expect(credit.requested == 3)
        #expect(credit.next(now: now, expires: .seconds(5), grace: .seconds(1)) == nil)
        // Settling two frees room for the minimum batch (capacity / 4 = 2).
        credit.settled()
        credit.settled()
        let next = credit.next(now: now, expires: .seconds(5), grace: .seconds(1))
        #expect(next?.batch == 2)
        #expect(credit.inFlight + credit.requested == 8)
    }

    @Test func smallRoomWaitsForTheMinimumBatchWhileARequestIsOpen() {
        var credit = PullCredit(capacity: 8)
        _ = credit.next(now: now, expires: .seconds(5), grace: .seconds(1))
        for _ in 0..<8 { credit.received() }
        credit.settled()
        // Room for one while nothing is open: asked for, so a quiet consumer is never stuck.
        #expect(credit.open.isEmpty)
        #expect(credit.next(now: now, expires: .seconds(5), grace: .seconds(1))?.batch == 1)
        credit.settled()
        #expect(credit.next(now: now, expires: .seconds(5), grace: .seconds(1)) == nil)
    }

    @Test func anExpiredOrRefusedRequestGivesItsRoomBack() {
        var credit = PullCredit(capacity: 4)
        let first = credit.next(now: now, expires: .seconds(5), grace: .seconds(1))!
        credit.received()
        credit.ended(first.id)
        #expect(credit.requested == 0)
        #expect(credit.next(now: now, expires: .seconds(5), grace: .seconds(1))?.batch == 3)
    }

    @Test func requestsTheServerNeverAnsweredAreForgottenAfterTheirDeadline() {
        var credit = PullCredit(capacity: 4)
        _ = credit.next(now: now, expires: .seconds(5), grace: .seconds(1))
        credit.expire(now: now + .seconds(5))
        #expect(credit.requested == 4)
        credit.expire(now: now + .seconds(7))
        #expect(credit.requested == 0)
    }

    @Test func messagesCountAgainstTheOldestRequestFirst() {
        var credit = PullCredit(capacity: 8)
        let first = credit.next(now: now, expires: .seconds(5), grace: .seconds(1))!
        for _ in 0..<6 { credit.received() }
        for _ in 0..<6 { credit.settled() }
        let second = credit.next(now: now, expires: .seconds(5), grace: .seconds(1))!
        #expect(second.batch == 6)
        credit.received()
        credit.received()
        #expect(credit.open.map(\.id) == [second.id])
        credit.ended(first.id)
        #expect(credit.requested == 6)
    }
}
