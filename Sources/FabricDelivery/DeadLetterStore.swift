import FabricCore
import FabricNATS
import Synchronization

/// The dead-letter queue as `fabric dlq` sees it: list, show, replay, purge, count.
///
/// Reads go from the end of `FABRIC_DLQ` backwards in growing windows, headers only,
/// through ephemeral consumers filtered by service: the newest 100 of 100,000 cost one
/// window of a few hundred headers, not a scan.
public struct DeadLetterStore: Sendable {
    let jetStream: JetStream
    let stream = FabricNames.Stream.deadLetter

    /// Creates a store over a connection's JetStream.
    public init(jetStream: JetStream) { self.jetStream = jetStream }

    private var reader: StreamReader { StreamReader(jetStream: jetStream) }

    // MARK: Reading

    /// The newest dead letters matching `query`, newest first.
    public func list(_ query: DeadLetterQuery) async throws(DeadLetterError) -> [DeadLetterSummary] {
        let subject = try filter(query.service)
        let info = try await call { () throws(NATSError) in try await jetStream.streamInfo(stream) }
        guard info.messages > 0, query.limit > 0 else { return [] }
        var found: [DeadLetterSummary] = []
        var end = info.lastSequence
        var window = UInt64(max(64, query.limit * (query.reason == nil ? 2 : 8)))
        while end >= info.firstSequence, found.count < query.limit {
            let start = end - min(end - info.firstSequence, window - 1)
            let matched = Mutex<[DeadLetterSummary]>([])
            let olderThanSince = Atomic<Bool>(false)
            let last = end
            try await call { () throws(NATSError) in
                try await reader.read(stream: stream, subject: subject, from: .sequence(start), headersOnly: true) {
                    message, metadata in
                    guard metadata.streamSequence <= last else { return false }
                    if let since = query.since, metadata.timestamp < since {
                        olderThanSince.store(true, ordering: .relaxed)
                        return true
                    }
                    let summary = DeadLetterSummary.read(message, metadata)
                    if query.reason == nil || summary.reason == query.reason { matched.withLock { $0.append(summary) } }
                    return metadata.streamSequence < last
                }
            }
            found += matched.withLock { $0 }.sorted { $0.sequence > $1.sequence }
            if olderThanSince.load(ordering: .relaxed) || start <= info.firstSequence { break }
            end = start - 1
            window = window.multipliedReportingOverflow(by: 4).overflow ? .max : window * 4
        }
        return Array(found.prefix(query.limit))
    }

    /// One dead letter in full.
    public func show(_ sequence: UInt64) async throws(DeadLetterError) -> DeadLetter {
        let message = try await call { () throws(NATSError) in try await jetStream.directGet(stream: stream, .sequence(sequence))
        }
        guard let message else { throw DeadLetterError(.notFound, "no dead letter with sequence \(sequence)") }
        return DeadLetter(message)
    }

    /// Counts by service and reason, with the oldest and newest times.
    public func stats() async throws(DeadLetterError) -> DeadLetterStats {
        struct Tally {
            var counts: [String: [String: UInt64]] = [:]
            var total: UInt64 = 0
            var oldest: Int64?
            var newest: Int64?
        }
        let tally = Mutex(Tally())
        let prefix = FabricNames.Subject.deadLetterPrefix.utf8.count
        try await call { () throws(NATSError) in
            try await reader.read(stream: stream, subject: nil, from: .first, headersOnly: true) { message, metadata in
                let service = String(message.subject.dropFirst(prefix))
                let reason = message.header(HeaderName.deadLetterReason) ?? "unknown"
                tally.withLock { tally in
                    tally.counts[service, default: [:]][reason, default: 0] += 1
                    tally.total += 1
                    if tally.oldest == nil { tally.oldest = metadata.timestamp }
                    tally.newest = metadata.timestamp
                }
                return true
            }
        }
        return tally.withLock { DeadLetterStats(total: $0.total, counts: $0.counts, oldest: $0.oldest, newest: $0.newest) }
    }

    /// Sequences of every dead letter (of `service`), oldest first.
    public func sequences(service: String?) async throws(DeadLetterError) -> [UInt64] {
        let subject = try filter(service)
        let sequences = Mutex<[UInt64]>([])
        try await call { () throws(NATSError) in
            try await reader.read(stream: stream, subject: subject, from: .first, headersOnly: true) { _, metadata in
                sequences.withLock { $0.append(metadata.streamSequence) }
                return true
            }
        }
        return sequences.withLock { $0 }
    }

    // MARK: Changing

    /// Stores dead letter `sequence` in `FABRIC_WORK` again (for its own service, or
    /// `service`), attempts starting over under a fresh `Nats-Msg-Id`, and removes it from
    /// the dead-letter queue once the store acknowledged it; returns the work sequence.
    ///
    /// Idempotent inside `FABRIC_WORK`'s duplicate window: the id depends only on the
    /// entry and the target (`DeadLetterHeaders.replay`), so running it again after a
    /// failure between store and removal stores nothing new.
    @discardableResult
    public func replay(_ sequence: UInt64, to service: String? = nil) async throws(DeadLetterError) -> UInt64 {
        let letter = try await show(sequence)
        let target = service ?? letter.summary.service
        do { try MessageType.validateService(target) } catch {
            throw DeadLetterError(.invalid, "cannot replay \(sequence) to '\(target)': \(error.reason)")
        }
        let headers = DeadLetterHeaders.replay(letter.headers, service: target, sequence: sequence)
        let ack = try await call { () throws(NATSError) in
            try await jetStream.publish(
                FabricNames.Subject.work(service: target), headers: headers, payload: letter.payload,
                messageID: headers[HeaderName.natsMsgId], expectedStream: FabricNames.Stream.work)
        }
        do {
            try await jetStream.delete(stream: stream, sequence: sequence)
        } catch  where error.code == .notFound {
            // Removed meanwhile (replayed or purged by someone else): the replay stands.
        } catch {
            throw DeadLetterError(
                .unavailable, "replayed \(sequence) as work \(ack.sequence), but could not remove it from the DLQ: \(error)")
        }
        return ack.sequence
    }

    /// Counts the dead letters `purge` would remove (of `service`, older than
    /// `olderThan`) and fixes the bound it removes them up to: entries stored after the
    /// count (while someone reads the confirmation prompt) stay.
    public func planPurge(service: String?, olderThan: Duration?) async throws(DeadLetterError) -> DeadLetterPurge {
        let subject = try filter(service)
        let info = try await call { () throws(NATSError) in try await jetStream.streamInfo(stream) }
        var before = info.lastSequence + 1
        if let olderThan {
            // The first letter young enough to stay; everything before it goes.
            let first = Atomic<UInt64>(0)
            let cutoff = cutoff(olderThan)
            try await call { () throws(NATSError) in
                try await reader.read(stream: stream, subject: nil, from: .time(cutoff), headersOnly: true) { _, metadata in
                    first.store(metadata.streamSequence, ordering: .relaxed)
                    return false
                }
            }
            let boundary = first.load(ordering: .relaxed)
            if boundary > 0 { before = min(before, boundary) }
        }
        guard info.messages > 0, before > info.firstSequence else {
            return DeadLetterPurge(count: 0, before: before, subject: subject)
        }
        // Letters of `subject` from the start, less those at or after the bound: two
        // consumer creations, whatever the stream's size.
        let all = try await pending(subject: subject, from: .first)
        let after = try await pending(subject: subject, from: .sequence(before))
        return DeadLetterPurge(count: all > after ? all - after : 0, before: before, subject: subject)
    }

    /// Removes what `plan` counted: the dead letters of its service below its bound;
    /// returns how many went.
    @discardableResult
    public func purge(_ plan: DeadLetterPurge) async throws(DeadLetterError) -> UInt64 {
        try await call { () throws(NATSError) in
            try await jetStream.purge(stream: stream, subject: plan.subject, before: plan.before)
        }
    }

    /// Messages of `subject` from `start` on, as a new consumer sees them.
    private func pending(subject: String?, from start: JetStream.StartPosition) async throws(DeadLetterError) -> UInt64 {
        let reader = try await call { () throws(NATSError) in
            try await jetStream.createReader(
                stream: stream, subject: subject, start: start, headersOnly: true, inactive: .seconds(5))
        }
        try? await jetStream.removeConsumer(stream: stream, name: reader.name)
        return reader.pending
    }

    // MARK: Helpers

    private func filter(_ service: String?) throws(DeadLetterError) -> String? {
        guard let service else { return nil }
        do { try MessageType.validateService(service) } catch { throw DeadLetterError(.invalid, "--service: \(error.reason)") }
        return FabricNames.Subject.deadLetter(service: service)
    }

    private func cutoff(_ age: Duration) -> Int64 {
        Int64(WallClock.nowMillis()) * 1_000_000 - age.milliseconds * 1_000_000
    }

    @discardableResult
    private func call<Result>(_ body: () async throws(NATSError) -> Result) async throws(DeadLetterError) -> Result {
        do {
            return try await body()
        } catch {
            if error.code == .notFound, error.message.contains("stream") {
                throw DeadLetterError(.unavailable, "\(stream) does not exist (no delivery or fabric up has run here): \(error)")
            }
            throw DeadLetterError(.unavailable, "\(error)")
        }
    }
}
