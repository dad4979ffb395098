import FabricCore
import FabricNATS
import Logging

/// What delivery remembers about each failing work message, in `FABRIC_FAILURES` (one
/// subject per stored message): when it first failed, how many attempts failed, and —
/// when its dead letter could not be stored — the verdict already reached.
///
/// The attempt number is the server's delivery count, which survives crashes, but
/// nats-server 2.9 can report a redelivery as delivery 1 after the instance holding the
/// message died with pull requests open (seen in the kill -9 tests). The failure count
/// kept here puts a floor under it, so such a message still gets only its policy's
/// attempts. Written and read on the failure path only: a message that succeeds at once
/// costs nothing here.
struct FailureRecords: Sendable {
    let jetStream: JetStream
    let logger: Logger

    /// Records a failed attempt and returns the record as written: its attempt number is
    /// the larger of the delivery count and the failures recorded before plus one; the
    /// first failure's time is kept. `known` is the record as read before the attempt,
    /// if it was (saves a read when nobody wrote meanwhile).
    func recordFailure(
        service: String, sequence: UInt64, deliveryCount: Int, time: UInt64, known: FailureRecord?
    ) async
        -> FailureRecord
    {
        let subject = FabricNames.Subject.failure(service: service, sequence: sequence)
        var previous = known
        var fresh = known == nil
        for _ in 0..<3 {
            if fresh { previous = await read(subject) }
            fresh = true
            let attempt = max(deliveryCount, (previous?.attempts ?? 0) + 1)
            let record = FailureRecord(firstFailure: previous?.firstFailure ?? time, attempts: attempt)
            switch await write(record, subject: subject, after: previous) {
            case .written, .failed: return record
            case .conflict: continue  // Written meanwhile: read it again.
            }
        }
        return FailureRecord(firstFailure: previous?.firstFailure ?? time, attempts: deliveryCount)
    }

    /// Records the verdict on a message whose dead letter could not be stored, so its
    /// next delivery finishes it without another attempt; true when it was written.
    func recordVerdict(
        service: String, sequence: UInt64, _ verdict: FailureRecord.Verdict, firstFailure: UInt64
    ) async
        -> Bool
    {
        let subject = FabricNames.Subject.failure(service: service, sequence: sequence)
        for _ in 0..<3 {
            let previous = await read(subject)
            var record = FailureRecord(firstFailure: previous?.firstFailure ?? firstFailure, attempts: verdict.attempts)
            record.verdict = verdict
            switch await write(record, subject: subject, after: previous) {
            case .written: return true
            case .failed: return false
            case .conflict: continue
            }
        }
        return false
    }

    /// The record of a work message, if any (nil too when it cannot be read).
    func record(service: String, sequence: UInt64) async -> FailureRecord? {
        await read(FabricNames.Subject.failure(service: service, sequence: sequence))
    }

    /// The recorded first failure, if any.
    func firstFailure(service: String, sequence: UInt64) async -> UInt64? {
        await record(service: service, sequence: sequence)?.firstFailure
    }

    /// Removes the record once the message is settled for good.
    func forget(service: String, sequence: UInt64) async {
        let subject = FabricNames.Subject.failure(service: service, sequence: sequence)
        do {
            try await jetStream.purge(stream: FabricNames.Stream.failures, subject: subject)
        } catch {
            logger.debug("cannot remove a failure record", metadata: ["subject": "\(subject)", "error": "\(error)"])
        }
    }

    // MARK: Reading and writing

    private enum Written {
        case written, conflict, failed
    }

    private func read(_ subject: String) async -> FailureRecord? {
        guard let message = try? await jetStream.directGet(stream: FabricNames.Stream.failures, .last(subject: subject)) else {
            return nil
        }
        return FailureRecord(message)
    }

    /// Writes `record` over `previous` (none: the subject must be empty), a compare-and-set
    /// on the subject: two instances cannot both write over one record.
    private func write(_ record: FailureRecord, subject: String, after previous: FailureRecord?) async -> Written {
        var headers = record.headers
        headers.add("Nats-Expected-Last-Subject-Sequence", String(previous?.sequence ?? 0))
        do {
            _ = try await jetStream.publish(subject, headers: headers, expectedStream: FabricNames.Stream.failures)
            return .written
        } catch  where error.jetStreamCode == 10071 {
            return .conflict
        } catch {
            logger.debug("cannot write a failure record", metadata: ["subject": "\(subject)", "error": "\(error)"])
            return .failed
        }
    }
}
