import FabricCore
import FabricNATS
import Logging

/// What delivery remembers about each failing work message, in `FABRIC_FAILURES` (one
/// subject per stored message): when it first failed and how many attempts failed.
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

    /// Records a failed attempt and returns its number: the larger of the delivery count
    /// and the failures recorded before plus one. The first failure's time is kept.
    func recordFailure(service: String, sequence: UInt64, deliveryCount: Int, time: UInt64) async -> Int {
        let subject = FabricNames.Subject.failure(service: service, sequence: sequence)
        for _ in 0..<3 {
            let previous = try? await jetStream.directGet(stream: FabricNames.Stream.failures, .last(subject: subject))
            let failed = previous?.headers[HeaderName.attempt].flatMap { Int($0) } ?? 0
            let attempt = max(deliveryCount, failed + 1)
            var headers = Headers()
            headers.add(HeaderName.firstFailure, previous?.headers[HeaderName.firstFailure] ?? String(time))
            headers.add(HeaderName.attempt, String(attempt))
            // Compare-and-set on the subject: two instances cannot both write over one record.
            headers.add("Nats-Expected-Last-Subject-Sequence", String(previous?.sequence ?? 0))
            do {
                _ = try await jetStream.publish(subject, headers: headers, expectedStream: FabricNames.Stream.failures)
                return attempt
            } catch  where error.jetStreamCode == 10071 {
                continue  // Written meanwhile: read it again.
            } catch {
                logger.debug("cannot record a failure", metadata: ["service": "\(service)", "error": "\(error)"])
                return attempt
            }
        }
        return deliveryCount
    }

    /// The recorded first failure, if any.
    func firstFailure(service: String, sequence: UInt64) async -> UInt64? {
        let subject = FabricNames.Subject.failure(service: service, sequence: sequence)
        guard let record = try? await jetStream.directGet(stream: FabricNames.Stream.failures, .last(subject: subject)) else {
            return nil
        }
        return record.headers[HeaderName.firstFailure].flatMap { UInt64($0) }
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
}
