import FabricCore
import Foundation

/// JetStream API calls made as core NATS requests: they wait without a thread, so
/// delivery can make many at once (direct gets, purges, deletes, ephemeral consumers)
/// where nats.c's JetStream functions would block one thread each.
extension JetStream {
    private struct APIError: Decodable {
        struct Failure: Decodable {
            var code: Int?
            var err_code: Int?
            var description: String?
        }
        var error: Failure?
    }

    /// Sends `body` as JSON to `$JS.API.<path>` and decodes the answer, throwing the
    /// server's error (`notFound` for a missing stream, consumer or message).
    public func api<Response: Decodable>(
        _ path: String, _ body: some Encodable, as type: Response.Type = Response.self, timeout: Duration? = nil
    ) async throws(NATSError) -> Response {
        let payload: Data
        do { payload = try JSONEncoder().encode(body) } catch {
            throw NATSError(.invalidArgument, message: "$JS.API.\(path): cannot encode the request: \(error)")
        }
        let reply = try await connection.request("$JS.API.\(path)", payload: Array(payload), timeout: timeout ?? self.timeout)
        let data = Data(reply.payload)
        if let failure = try? JSONDecoder().decode(APIError.self, from: data), let error = failure.error {
            let code = error.err_code ?? 0
            // 10014 consumer not found, 10037 no message found, 10043 sequence not found,
            // 10059 stream not found.
            let kind: NATSError.Code =
                [10014, 10037, 10043, 10059].contains(code) || error.code == 404 ? .notFound : .jetStream
            throw NATSError(
                kind, status: "\(error.code ?? 0)", jetStreamCode: code,
                message: "$JS.API.\(path): \(error.description ?? "refused")")
        }
        do { return try JSONDecoder().decode(Response.self, from: data) } catch {
            throw NATSError(.jetStream, message: "$JS.API.\(path): unreadable answer: \(error)")
        }
    }

    // MARK: Direct get

    /// Which stored message a direct get asks for.
    public enum DirectGet: Sendable, Hashable {
        /// The message at this sequence.
        case sequence(UInt64)
        /// The first message at or after `from` whose subject matches `subject` (wildcards allowed).
        case next(subject: String, from: UInt64)
        /// The newest message of `subject`.
        case last(subject: String)
    }

    private struct DirectGetRequest: Encodable {
        var seq: UInt64?
        var next_by_subj: String?
        var last_by_subj: String?
    }

    /// A stored message read by a direct get (any replica answers), or nil when there is
    /// none; never blocks a thread. The stream must allow direct gets.
    public func directGet(stream: String, _ what: DirectGet, timeout: Duration? = nil) async throws(NATSError) -> StoredMessage? {
        var request = DirectGetRequest()
        switch what {
        case .sequence(let sequence): request.seq = sequence
        case .next(let subject, let from):
            request.seq = from
            request.next_by_subj = subject
        case .last(let subject): request.last_by_subj = subject
        }
        let body: Data
        do { body = try JSONEncoder().encode(request) } catch {
            throw NATSError(.invalidArgument, message: "direct get: \(error)")
        }
        let reply = try await connection.request(
            "$JS.API.DIRECT.GET.\(stream)", payload: Array(body), timeout: timeout ?? self.timeout)
        if let status = reply.headers["Status"] {
            if status.hasPrefix("404") { return nil }
            throw NATSError(
                status.hasPrefix("408") ? .timeout : .jetStream, status: status,
                message: "direct get from \(stream): \(reply.headers["Description"] ?? status)")
        }
        guard let message = StoredMessage(directGetReply: reply) else {
            throw NATSError(.jetStream, message: "direct get from \(stream): answer without Nats-Sequence")
        }
        return message
    }

    // MARK: Removing messages

    private struct PurgeRequest: Encodable {
        var filter: String?
        var seq: UInt64?
        var keep: UInt64?
    }

    private struct PurgeResponse: Decodable {
        var purged: UInt64?
    }

    /// Removes the messages of `subject` (all subjects when nil) whose sequence is below
    /// `before` (all when nil); returns how many went.
    @discardableResult
    public func purge(stream: String, subject: String?, before: UInt64? = nil) async throws(NATSError) -> UInt64 {
        let response = try await api(
            "STREAM.PURGE.\(stream)", PurgeRequest(filter: subject, seq: before), as: PurgeResponse.self)
        return response.purged ?? 0
    }

    private struct DeleteRequest: Encodable {
        var seq: UInt64
        var no_erase: Bool
    }

    private struct SuccessResponse: Decodable {
        var success: Bool?
    }

    /// Deletes one stored message without a blocked thread; `notFound` when it is not there.
    public func delete(stream: String, sequence: UInt64) async throws(NATSError) {
        _ = try await api("STREAM.MSG.DELETE.\(stream)", DeleteRequest(seq: sequence, no_erase: true), as: SuccessResponse.self)
    }

    // MARK: Ephemeral consumers

    /// Where an ephemeral consumer starts.
    public enum StartPosition: Sendable, Hashable {
        /// At this stream sequence.
        case sequence(UInt64)
        /// At the first message stored at or after this time (nanoseconds since the epoch).
        case time(Int64)
        /// At the first message.
        case first
    }

    private struct ConsumerRequest: Encodable {
        struct Config: Encodable {
            var deliver_policy: String
            var opt_start_seq: UInt64?
            var opt_start_time: String?
            var ack_policy = "none"
            var replay_policy = "instant"
            var filter_subject: String?
            var headers_only: Bool
            var inactive_threshold: Int64
            var mem_storage = true
            var num_replicas = 1
            var max_waiting = 16
        }
        var stream_name: String
        var config: Config
    }

    /// An ephemeral consumer's name and how many messages it has to deliver.
    public struct EphemeralConsumer: Sendable, Hashable, Decodable {
        /// Server-assigned name.
        public var name: String
        /// Messages matching its filter from its start on.
        public var pending: UInt64

        enum CodingKeys: String, CodingKey {
            case name
            case pending = "num_pending"
        }
    }

    /// Creates an ephemeral consumer without acks (a reader): `headersOnly` leaves the
    /// bodies on the server (their size comes in `Nats-Msg-Size`); the server removes it
    /// `inactive` after its last pull.
    public func createReader(
        stream: String, subject: String?, start: StartPosition, headersOnly: Bool, inactive: Duration = .seconds(30)
    ) async throws(NATSError) -> EphemeralConsumer {
        var config = ConsumerRequest.Config(
            deliver_policy: "all", filter_subject: subject, headers_only: headersOnly,
            inactive_threshold: max(1, inactive.milliseconds) * 1_000_000)
        switch start {
        case .first: break
        case .sequence(let sequence):
            config.deliver_policy = "by_start_sequence"
            config.opt_start_seq = max(1, sequence)
        case .time(let nanoseconds):
            config.deliver_policy = "by_start_time"
            config.opt_start_time = RFC3339.format(nanoseconds)
        }
        return try await api(
            "CONSUMER.CREATE.\(stream)", ConsumerRequest(stream_name: stream, config: config), as: EphemeralConsumer.self)
    }

    /// Deletes a consumer without a blocked thread.
    public func removeConsumer(stream: String, name: String) async throws(NATSError) {
        _ = try await api("CONSUMER.DELETE.\(stream).\(name)", [String: String](), as: SuccessResponse.self)
    }
}

extension StoredMessage {
    /// A direct get's answer: the stored message with its bookkeeping headers removed.
    init?(directGetReply reply: NATSMessage) {
        guard let sequence = reply.headers["Nats-Sequence"].flatMap({ UInt64($0) }) else { return nil }
        var headers = reply.headers
        let subject = headers["Nats-Subject"] ?? reply.subject
        let time = headers["Nats-Time-Stamp"].flatMap(RFC3339.parse) ?? 0
        for name in ["Nats-Stream", "Nats-Sequence", "Nats-Time-Stamp", "Nats-Subject", "Nats-Last-Sequence"] {
            headers.remove(name)
        }
        self.init(subject: subject, sequence: sequence, time: time, headers: headers, payload: reply.payload)
    }
}
