import FabricCore
import Testing

@testable import FabricDelivery

@Suite("Attempt rules")
struct AttemptVerdictTests {
    let policy = RetryPolicy(attempts: 3, initial: .milliseconds(100), max: .seconds(1), multiplier: 2, jitter: 0.2)
    let fixedDelay: (Int) -> Duration = { .milliseconds(100 * $0) }

    @Test func okAcksOnAnyAttempt() {
        for attempt in 1...3 {
            let verdict = AttemptVerdict.after(
                .answered(.ok, error: nil), attempt: attempt, policy: policy, deadline: nil, now: 0, delay: fixedDelay)
            #expect(verdict == .ack)
        }
    }

    @Test func retryableOutcomesRetryWithTheBackoffOfTheirAttempt() {
        for outcome in [AttemptOutcome.answered(.retry, error: "x"), .answered(.timeout, error: nil), .timedOut, .noResponders] {
            #expect(
                AttemptVerdict.after(outcome, attempt: 1, policy: policy, deadline: nil, now: 0, delay: fixedDelay)
                    == .retry(after: .milliseconds(100)))
            #expect(
                AttemptVerdict.after(outcome, attempt: 2, policy: policy, deadline: nil, now: 0, delay: fixedDelay)
                    == .retry(after: .milliseconds(200)))
        }
    }

    @Test func theLastAttemptFinishesWithMaxAttempts() {
        let verdict = AttemptVerdict.after(.timedOut, attempt: 3, policy: policy, deadline: nil, now: 0, delay: fixedDelay)
        guard case .finish(.maxAttempts, let status, let error) = verdict else {
            Issue.record("expected max-attempts, got \(verdict)")
            return
        }
        #expect(status == .unavailable)
        #expect(error.contains("attempt 3 of 3"))
    }

    @Test func terminalStatusesFinishAtOnceWithTheBackendsStatus() {
        for status in [Status.error, .rejected, .notFound, .forbidden, .unauthorized] {
            let verdict = AttemptVerdict.after(
                .answered(status, error: "no"), attempt: 1, policy: policy, deadline: nil, now: 0, delay: fixedDelay)
            #expect(verdict == .finish(.error, status: status, error: "no"))
        }
    }

    @Test func aRetryThatWouldPassTheDeadlineFinishesAsExpired() {
        let verdict = AttemptVerdict.after(.timedOut, attempt: 1, policy: policy, deadline: 1050, now: 1000, delay: fixedDelay)
        guard case .finish(.expired, .timeout?, _) = verdict else {
            Issue.record("expected expired, got \(verdict)")
            return
        }
        #expect(
            AttemptVerdict.after(.timedOut, attempt: 1, policy: policy, deadline: 1200, now: 1000, delay: fixedDelay)
                == .retry(after: .milliseconds(100)))
    }

    @Test func beforeAttemptingDeadlinesAndExcessDeliveriesFinish() {
        #expect(AttemptVerdict.before(attempt: 1, policy: policy, deadline: nil, now: 5) == .attempt)
        #expect(AttemptVerdict.before(attempt: 3, policy: policy, deadline: 10, now: 5) == .attempt)
        guard case .finish(.expired, _, _) = AttemptVerdict.before(attempt: 1, policy: policy, deadline: 5, now: 5) else {
            Issue.record("a passed deadline must finish")
            return
        }
        // A crash mid-attempt costs that attempt: the fourth delivery of a 3-attempt policy is not made.
        guard case .finish(.maxAttempts, _, _) = AttemptVerdict.before(attempt: 4, policy: policy, deadline: nil, now: 0) else {
            Issue.record("a delivery past the policy must finish")
            return
        }
    }
}
