import CNATS
import FabricCore
import Foundation

/// JetStream on a connection: streams, consumers, publish with ack, stored messages.
///
/// Administrative calls use nats.c's JetStream API, which blocks, so they run off the
/// cooperative pool. Publishing is on the request path and is a core NATS request to
/// the stream subject whose answer is the server's pub-ack: it waits without a thread,
/// has its own timeout, and fails at once with `noResponders` when no stream listens.
///
/// `@unchecked Sendable`: nats.c's `jsCtx` is safe to use from any thread and is
/// destroyed once, in `deinit`.
public final class JetStream: @unchecked Sendable {
    let raw: OpaquePointer
    /// The connection it runs on.
    public let connection: NATSConnection
    /// Timeout of API calls and publish acks.
    public let timeout: Duration

    /// Opens the JetStream context of `connection`.
    public init(_ connection: NATSConnection, timeout: Duration? = nil) throws(NATSError) {
        let timeout = timeout ?? connection.options.jetStreamTimeout
        var options = jsOptions()
        jsOptions_Init(&options)
        options.Wait = timeout.milliseconds
        var context: OpaquePointer?
        try check(natsConnection_JetStream(&context, connection.raw, &options), "open JetStream")
        guard let context else { throw NATSError(.other, message: "natsConnection_JetStream returned nothing") }
        self.raw = context
        self.connection = connection
        self.timeout = timeout
    }

    deinit { jsCtx_Destroy(raw) }

    // MARK: Streams

    /// Creates the stream, or updates it to `config` when it exists with another configuration.
    @discardableResult
    public func ensureStream(_ config: StreamConfig) async throws(NATSError) -> StreamInfo {
        let context = UnsafeSendable(raw)
        return try await Blocking.run { () throws(NATSError) -> StreamInfo in
            try config.withC { cConfig throws(NATSError) -> StreamInfo in
                var info: UnsafeMutablePointer<jsStreamInfo>?
                var errorCode = jsErrCode(rawValue: 0)
                var status = js_AddStream(&info, context.value, cConfig, nil, &errorCode)
                if status != NATS_OK, errorCode == JSStreamNameExistErr {
                    errorCode = jsErrCode(rawValue: 0)
                    status = js_UpdateStream(&info, context.value, cConfig, nil, &errorCode)
                }
                guard status == NATS_OK, let info else {
                    throw NATSError(status: status, jsErrorCode: errorCode, context: "ensure stream \(config.name)")
                }
                defer { jsStreamInfo_Destroy(info) }
                return StreamInfo(info)
            }
        }
    }

    /// The stream's configuration and state; `subjectsFilter` adds per-subject counts.
    public func streamInfo(_ name: String, subjectsFilter: String? = nil) async throws(NATSError) -> StreamInfo {
        let context = UnsafeSendable(raw)
        return try await Blocking.run { () throws(NATSError) -> StreamInfo in
            let arena = CStringArena()
            var options = jsOptions()
            jsOptions_Init(&options)
            options.Stream.Info.SubjectsFilter = arena.optional(subjectsFilter)
            var info: UnsafeMutablePointer<jsStreamInfo>?
            var errorCode = jsErrCode(rawValue: 0)
            let status = withExtendedLifetime(arena) { js_GetStreamInfo(&info, context.value, name, &options, &errorCode) }
            guard status == NATS_OK, let info else {
                throw NATSError(status: status, jsErrorCode: errorCode, context: "stream info \(name)")
            }
            defer { jsStreamInfo_Destroy(info) }
            return StreamInfo(info)
        }
    }

    /// Deletes a stream and everything in it.
    public func deleteStream(_ name: String) async throws(NATSError) {
        let context = UnsafeSendable(raw)
        try await Blocking.run { () throws(NATSError) in
            var errorCode = jsErrCode(rawValue: 0)
            let status = js_DeleteStream(context.value, name, nil, &errorCode)
            if status != NATS_OK { throw NATSError(status: status, jsErrorCode: errorCode, context: "delete stream \(name)") }
        }
    }

    /// Removes messages: all, or those of `subject`, optionally keeping the newest `keep`.
    public func purgeStream(_ name: String, subject: String? = nil, keep: UInt64 = 0) async throws(NATSError) {
        let context = UnsafeSendable(raw)
        try await Blocking.run { () throws(NATSError) in
            let arena = CStringArena()
            var options = jsOptions()
            jsOptions_Init(&options)
            options.Stream.Purge.Subject = arena.optional(subject)
            options.Stream.Purge.Keep = keep
            var errorCode = jsErrCode(rawValue: 0)
            let status = withExtendedLifetime(arena) { js_PurgeStream(context.value, name, &options, &errorCode) }
            if status != NATS_OK { throw NATSError(status: status, jsErrorCode: errorCode, context: "purge stream \(name)") }
        }
    }

    // MARK: Stored messages

    /// The message stored at `sequence`.
    public func message(stream: String, sequence: UInt64) async throws(NATSError) -> StoredMessage {
        let context = UnsafeSendable(raw)
        return try await Blocking.run { () throws(NATSError) -> StoredMessage in
            var message: OpaquePointer?
            var errorCode = jsErrCode(rawValue: 0)
            let status = js_GetMsg(&message, context.value, stream, sequence, nil, &errorCode)
            guard status == NATS_OK, let message else {
                throw NATSError(status: status, jsErrorCode: errorCode, context: "get message \(sequence) of \(stream)")
            }
            defer { NATSMessageMemory.destroy(message) }
            return StoredMessage(copying: message)
        }
    }

    /// The newest message stored under `subject`.
    public func lastMessage(stream: String, subject: String) async throws(NATSError) -> StoredMessage {
        let context = UnsafeSendable(raw)
        return try await Blocking.run { () throws(NATSError) -> StoredMessage in
            var message: OpaquePointer?
            var errorCode = jsErrCode(rawValue: 0)
            let status = js_GetLastMsg(&message, context.value, stream, subject, nil, &errorCode)
            guard status == NATS_OK, let message else {
                throw NATSError(status: status, jsErrorCode: errorCode, context: "get last message of \(subject) in \(stream)")
            }
            defer { NATSMessageMemory.destroy(message) }
            return StoredMessage(copying: message)
        }
    }

    /// The first message at or after `sequence` whose subject matches `subject`
    /// (direct get, answered by any replica), or nil when there is none.
    public func nextMessage(stream: String, subject: String, from sequence: UInt64) async throws(NATSError) -> StoredMessage? {
        let context = UnsafeSendable(raw)
        return try await Blocking.run { () throws(NATSError) -> StoredMessage? in
            let arena = CStringArena()
            var options = jsDirectGetMsgOptions()
            jsDirectGetMsgOptions_Init(&options)
            options.Sequence = sequence
            options.NextBySubject = arena.string(subject)
            var message: OpaquePointer?
            let status = withExtendedLifetime(arena) { js_DirectGetMsg(&message, context.value, stream, nil, &options) }
            if status == NATS_NOT_FOUND { return nil }
            guard status == NATS_OK, let message else {
                throw NATSError(status: status, context: "direct get \(subject) from \(sequence) in \(stream)")
            }
            defer { NATSMessageMemory.destroy(message) }
            return StoredMessage(copying: message)
        }
    }

    /// Deletes one stored message.
    public func deleteMessage(stream: String, sequence: UInt64) async throws(NATSError) {
        let context = UnsafeSendable(raw)
        try await Blocking.run { () throws(NATSError) in
            var errorCode = jsErrCode(rawValue: 0)
            let status = js_DeleteMsg(context.value, stream, sequence, nil, &errorCode)
            if status != NATS_OK {
                throw NATSError(status: status, jsErrorCode: errorCode, context: "delete message \(sequence) of \(stream)")
            }
        }
    }

    // MARK: Publish

    /// Stores a message and waits for the stream's acknowledgement.
    ///
    /// `messageID` becomes `Nats-Msg-Id`: a second publish with the same id inside the
    /// stream's duplicate window is acknowledged with `duplicate: true` and not stored.
    public func publish(
        _ subject: String, headers: Headers = Headers(), payload: some Collection<UInt8> = [], messageID: String? = nil,
        expectedStream: String? = nil, timeout: Duration? = nil
    ) async throws(NATSError) -> PublishAck {
        var headers = headers
        if let messageID { headers.set(HeaderName.natsMsgId, messageID) }
        if let expectedStream { headers.set("Nats-Expected-Stream", expectedStream) }
        let reply = try await connection.request(subject, headers: headers, payload: payload, timeout: timeout ?? self.timeout)
        return try PublishAck.parse(reply.payload, subject: subject)
    }
}

/// The stream's answer to a publish.
public struct PublishAck: Sendable, Hashable {
    /// Stream that stored it.
    public var stream: String
    /// Its sequence in the stream.
    public var sequence: UInt64
    /// True when it was a duplicate inside the window and not stored again.
    public var duplicate: Bool

    private struct Wire: Decodable {
        struct Failure: Decodable {
            var code: Int?
            var err_code: Int?
            var description: String?
        }

        var stream: String?
        var seq: UInt64?
        var duplicate: Bool?
        var error: Failure?
    }

    static func parse(_ bytes: [UInt8], subject: String) throws(NATSError) -> PublishAck {
        guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(bytes)) else {
            throw NATSError(.jetStream, message: "publish to \(subject): unreadable acknowledgement")
        }
        if let error = wire.error {
            throw NATSError(
                .jetStream, status: "\(error.code ?? 0)", jetStreamCode: error.err_code ?? 0,
                message: "publish to \(subject): \(error.description ?? "refused")")
        }
        guard let stream = wire.stream, let sequence = wire.seq else {
            throw NATSError(.jetStream, message: "publish to \(subject): acknowledgement without stream or sequence")
        }
        return PublishAck(stream: stream, sequence: sequence, duplicate: wire.duplicate ?? false)
    }
}

/// A message read from a stream by sequence.
public struct StoredMessage: Sendable, Hashable {
    /// Subject it was stored under.
    public var subject: String
    /// Stream sequence.
    public var sequence: UInt64
    /// Store time, nanoseconds since the epoch.
    public var time: Int64
    /// Headers.
    public var headers: Headers
    /// Body.
    public var payload: [UInt8]

    /// Creates a stored message (tests, direct gets).
    public init(subject: String, sequence: UInt64, time: Int64, headers: Headers, payload: [UInt8]) {
        self.subject = subject
        self.sequence = sequence
        self.time = time
        self.headers = headers
        self.payload = payload
    }

    init(copying raw: OpaquePointer) {
        let message = NATSMessage(copying: raw)
        subject = message.subject
        headers = message.headers
        payload = message.payload
        sequence = natsMsg_GetSequence(raw)
        time = natsMsg_GetTime(raw)
        if sequence == 0, let value = headers["Nats-Sequence"], let parsed = UInt64(value) { sequence = parsed }
        if subject.isEmpty || subject.hasPrefix("_INBOX"), let value = headers["Nats-Subject"] { subject = value }
    }
}
