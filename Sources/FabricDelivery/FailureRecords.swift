import FabricCore
import FabricNATS
import Logging

/// When each failing work message first failed, kept in `FABRIC_FAILURES` (one subject
/// per stored message), so a dead letter carries the true first failure whichever
/// delivery instance made the earlier attempts, across crashes.
///
/// Written on the failure path only: a message that succeeds at once costs nothing.
struct FailureRecords: Sendable {
    let jetStream: JetStream
    let logger: Logger

    /// Records `time` as the first failure unless one is recorded already (the stream
    /// refuses a second message on the subject through `Nats-Expected-Last-Subject-Sequence`).
    func recordFirst(service: String, sequence: UInt64, time: UInt64) async {
        var headers = Headers()
        headers.add(HeaderName.firstFailure, String(time))
        headers.add("Nats-Expected-Last-Subject-Sequence", "0")
        do {
            _ = try await jetStream.publish(
                FabricNames.Subject.failure(service: service, sequence: sequence), headers: headers,
                expectedStream: FabricNames.Stream.failures)
        } catch  where error.jetStreamCode == 10071 {
            // Wrong last sequence: an earlier failure is recorded, which is the point.
        } catch {
            logger.debug("cannot record a first failure", metadata: ["service": "\(service)", "error": "\(error)"])
        }
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
