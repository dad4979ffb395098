import CNATS
import FabricCore
import Logging
import Synchronization

/// A connection to NATS through nats.c: publish, subscribe, request, JetStream, KV.
///
/// `@unchecked Sendable` because the only state is the `natsConnection` pointer, whose
/// functions nats.c documents as safe to call from any thread, and members that are
/// themselves `Sendable`. The pointer is destroyed exactly once, in `deinit`.
public final class NATSConnection: @unchecked Sendable {
    let raw: OpaquePointer
    /// The options it was created with.
    public let options: NATSOptions
    /// Connection events (disconnected, reconnected, closed, slow consumer, errors), newest kept.
    public let events: AsyncStream<NATSEvent>
    let logger: Logger
    let callbacksID: Int
    let requests: RequestMux
    /// Each publish says whether it is written at once (`NATSOptions.batchWhenBusy` in
    /// force): only then does a `flush: false` make a difference.
    public let flushesPerPublish: Bool
    /// nats.c's write buffer, written with frames: on a connection that batches.
    let writer: NATSWriteBuffer?
    private let closed = Atomic<Bool>(false)

    /// Connects to the first reachable server of `options.urls`.
    ///
    /// Connecting blocks in nats.c (TCP, TLS, INFO/CONNECT), so it runs off the
    /// cooperative thread pool.
    public static func connect(
        _ options: NATSOptions, logger: Logger = Logger(label: "fabric.nats")
    ) async throws(NATSError) -> NATSConnection {
        NATSLibrary.configure(poolSize: options.deliveryPoolSize)
        let (stream, continuation) = AsyncStream.makeStream(of: NATSEvent.self, bufferingPolicy: .bufferingNewest(256))
        let callbacks = ConnectionCallbacks(logger: logger, continuation: continuation, urls: options.urls)
        let id = ConnectionCallbacks.register(callbacks)
        let result: Result<UnsafeSendable<OpaquePointer>, NATSError> = await Blocking.run {
            do throws(NATSError) {
                let opts = try NATSOptionsBuilder.make(options, callbacksID: id)
                defer { natsOptions_Destroy(opts) }
                var connection: OpaquePointer?
                let status = natsConnection_Connect(&connection, opts)
                if status == NATS_OK || (status == NATS_NOT_YET_CONNECTED && options.retryOnFailedConnect), let connection {
                    return .success(UnsafeSendable(connection))
                }
                throw NATSError(status: status, context: "connect to \(options.urls.joined(separator: ","))")
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let raw):
            let connection = NATSConnection(raw: raw.value, options: options, events: stream, logger: logger, callbacksID: id)
            try connection.requests.start(on: connection)
            return connection
        case .failure(let error):
            ConnectionCallbacks.unregister(id)
            continuation.finish()
            throw error
        }
    }

    private init(raw: OpaquePointer, options: NATSOptions, events: AsyncStream<NATSEvent>, logger: Logger, callbacksID: Int) {
        self.raw = raw
        self.options = options
        self.events = events
        self.logger = logger
        self.callbacksID = callbacksID
        self.requests = RequestMux()
        self.flushesPerPublish = options.choosesFlushPerPublish
        self.writer = options.choosesFlushPerPublish ? NATSWriteBuffer(raw: raw) : nil
    }

    deinit {
        if !closed.load(ordering: .acquiring) { natsConnection_Close(raw) }
        requests.shutdown()
        natsConnection_Destroy(raw)
    }

    /// True while connected to a server.
    public var isConnected: Bool { natsConnection_Status(raw) == NATS_CONN_STATUS_CONNECTED }

    /// Throws `.notConnected` at once unless connected: for calls that would otherwise
    /// block for their timeout while the server is gone (and hold up a shutdown).
    public func requireConnected() throws(NATSError) {
        guard isConnected else { throw NATSError(.notConnected, message: "not connected to NATS") }
    }

    /// The URL of the server currently connected to.
    public var connectedURL: String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard natsConnection_GetConnectedUrl(raw, &buffer, buffer.count) == NATS_OK else { return nil }
        let url = String(nullTerminated: buffer)
        return url.isEmpty ? nil : url
    }

    /// The server's `max_payload`, headers included.
    public var maxPayload: Int { Int(natsConnection_GetMaxPayload(raw)) }

    /// Publishes `payload` with optional headers and reply subject. `flush: false` from a
    /// handler of this connection's subscriptions leaves it in nats.c's buffer until the
    /// burst ends (`NATSOptions.batchWhenBusy`).
    ///
    /// Synchronous and cheap: with `sendAsap` nats.c writes to the socket on this thread.
    /// Inlinable so the payload's collection type is specialised at the call site instead
    /// of going through generic witness tables on every message.
    @inlinable
    public func publish(
        _ subject: String, headers: Headers? = nil, payload: some Collection<UInt8> = [], replyTo: String? = nil,
        flush: Bool = true
    ) throws(NATSError) {
        let status =
            payload.withContiguousStorageIfAvailable { buffer in
                publish(subject, headers: headers, bytes: UnsafeRawBufferPointer(buffer), replyTo: replyTo, flush: flush)
            } ?? Array(payload).withUnsafeBytes { publish(subject, headers: headers, bytes: $0, replyTo: replyTo, flush: flush) }
        if let error = status { throw error }
    }

    /// Publishes raw bytes; nil on success. `flush:` as for `publish(_:headers:payload:replyTo:flush:)`.
    @usableFromInline
    func publish(
        _ subject: String, headers: Headers?, bytes: UnsafeRawBufferPointer, replyTo: String?, flush: Bool
    )
        -> NATSError?
    {
        let status: natsStatus
        if NATSWireMessage.isAvailable, flushesPerPublish || !(headers?.isEmpty ?? true) {
            if let frame = NATSWireMessage.frame(subject: subject, replyTo: replyTo, headers: headers, bytes: bytes) {
                status = send(frame, flush: flush)
            } else {
                status = NATSWireMessage.refusal(subject: subject, replyTo: replyTo)
            }
        } else if let headers, !headers.isEmpty {
            status = publishMessage(subject: subject, replyTo: replyTo, headers: headers, bytes: bytes)
        } else if let replyTo {
            status = natsConnection_PublishRequest(raw, subject, replyTo, bytes.baseAddress, Int32(bytes.count))
        } else {
            status = natsConnection_Publish(raw, subject, bytes.baseAddress, Int32(bytes.count))
        }
        return status == NATS_OK ? nil : NATSError(status: status, context: "publish to \(subject)")
    }

    /// A message with headers through nats.c's header map: for a nats.c other than 3.4.x.
    private func publishMessage(
        subject: String, replyTo: String?, headers: Headers, bytes: UnsafeRawBufferPointer
    ) -> natsStatus {
        var message: OpaquePointer?
        var status = natsMsg_Create(
            &message, subject, replyTo, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        guard status == NATS_OK, let message else { return status }
        defer { NATSMessageMemory.destroy(message) }
        status = NATSHeaderWriter.write(headers, to: message)
        guard status == NATS_OK else { return status }
        return natsConnection_PublishMsg(raw, message)
    }

    /// Publishes a built frame: written at once, unless this connection batches, `flush` is
    /// false and the caller is a handler of one of its subscriptions (`NATSWriteBuffer`).
    func send(_ frame: NATSWireFrame, flush: Bool) -> natsStatus {
        guard let writer else { return send(message: frame, flush: true) }
        let hold = !flush && writer.isDelivering
        if let failed = writer.write(CollectionOfOne(frame), flush: !hold) { return failed.first?.status ?? NATS_OK }
        return send(message: frame, flush: !hold)
    }

    /// Publishes built frames in one go and flushes once; `failed` hears of each frame
    /// that could not be sent.
    func send(_ frames: [NATSWireFrame], failed: (Int, NATSError) -> Void) {
        if let writer, let refused = writer.write(frames, flush: true) {
            for (index, status) in refused { failed(index, NATSError(status: status, context: "publish")) }
            return
        }
        for (index, frame) in frames.enumerated() {
            let status = send(message: frame, flush: index == frames.count - 1)
            if status != NATS_OK { failed(index, NATSError(status: status, context: "publish")) }
        }
    }

    /// Publishes a frame as a nats.c message: on a connection that does not batch, or
    /// while one reconnects (nats.c keeps it for after the reconnect, within its limit).
    private func send(message frame: NATSWireFrame, flush: Bool) -> natsStatus {
        guard let message = frame.message() else { return NATS_NO_MEMORY }
        defer { NATSMessageMemory.destroy(message) }
        // nil reply: nats.c takes the message's own.
        return flushesPerPublish ? natsConn_publish(raw, message, nil, flush) : natsConnection_PublishMsg(raw, message)
    }

    /// Waits until the server has processed everything published so far.
    public func flush(timeout: Duration = .seconds(5)) async throws(NATSError) {
        let raw = UnsafeSendable(raw)
        let status = await Blocking.run { natsConnection_FlushTimeout(raw.value, timeout.milliseconds) }
        try check(status, "flush")
    }

    /// Stops every subscription from taking new messages, lets their handlers finish what
    /// is pending, flushes publishes, then closes. Use on graceful shutdown.
    public func drain(timeout: Duration = .seconds(10)) async throws(NATSError) {
        let raw = UnsafeSendable(raw)
        let status = natsConnection_DrainTimeout(raw.value, timeout.milliseconds)
        if status != NATS_OK && status != NATS_CONNECTION_CLOSED {
            throw NATSError(status: status, context: "drain")
        }
        // Drain is asynchronous in nats.c; the closed callback marks its end.
        await ConnectionCallbacks.waitUntilClosed(callbacksID)
        closed.store(true, ordering: .releasing)
    }

    /// Closes the connection at once; pending requests fail with `connectionClosed`.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        natsConnection_Close(raw)
        requests.shutdown()
    }

    /// A new unique inbox subject.
    public func newInbox() -> String {
        var inbox: UnsafeMutablePointer<CChar>?
        guard natsInbox_Create(&inbox) == NATS_OK, let inbox else { return "_INBOX.\(FabricID.generate())" }
        defer { natsInbox_Destroy(inbox) }
        return String(cString: inbox)
    }
}

/// Runs `body` on the payload's contiguous bytes, copying only when it has none.
@inline(__always)
func withContiguousBytes<Bytes: Collection<UInt8>, Result>(
    _ bytes: Bytes, _ body: (UnsafeRawBufferPointer) -> Result
) -> Result {
    if let result = bytes.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) {
        return result
    }
    return Array(bytes).withUnsafeBytes(body)
}

/// A value that is safe to send because nats.c synchronises access to what it points to.
struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

extension String {
    /// The text of a NUL-terminated C buffer.
    init(nullTerminated buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
