import CNATS
import FabricCore

/// A received message, copied out of nats.c so it can cross threads and outlive the
/// callback.
public struct NATSMessage: Sendable, Hashable {
    /// Subject it was published to.
    public let subject: String
    /// Reply subject, when the publisher waits for an answer.
    public let replyTo: String?
    /// Headers.
    public let headers: Headers
    /// Body bytes.
    public let payload: [UInt8]

    /// Creates a message (tests, replays).
    public init(subject: String, replyTo: String? = nil, headers: Headers = Headers(), payload: [UInt8] = []) {
        self.subject = subject
        self.replyTo = replyTo
        self.headers = headers
        self.payload = payload
    }

    init(copying raw: OpaquePointer) {
        self.init(copying: raw, block: NATSHeaderBlock.locate(raw))
    }

    /// A copy whose header block was already located (`NATSHeaderBlock.locate`).
    init(copying raw: OpaquePointer, block: UnsafeRawBufferPointer?) {
        subject = String(cString: natsMsg_GetSubject(raw))
        replyTo = natsMsg_GetReply(raw).flatMap { $0.pointee == 0 ? nil : String(cString: $0) }
        headers = NATSHeaderWriter.read(from: raw, block: block)
        let length = Int(natsMsg_GetDataLength(raw))
        if length > 0, let data = natsMsg_GetData(raw) {
            payload = Array(UnsafeRawBufferPointer(start: data, count: length))
        } else {
            payload = []
        }
    }

    /// The payload as UTF-8 text.
    public var text: String { String(decoding: payload, as: UTF8.self) }
}

/// A received message borrowed from nats.c for the duration of a synchronous handler.
///
/// Non-copyable and passed `borrowing`, so the compiler keeps it from escaping the
/// handler; reading it allocates only what the caller asks for.
public struct NATSMessageView: ~Copyable {
    let raw: OpaquePointer
    let subscription: OpaquePointer?
    /// The header block, located once for every header read (nil: read through nats.c).
    let headerBlock: UnsafeRawBufferPointer?

    init(raw: OpaquePointer, subscription: OpaquePointer? = nil) {
        self.raw = raw
        self.subscription = subscription
        headerBlock = NATSHeaderBlock.locate(raw)
    }

    /// True when more messages of the same subscription wait behind this one. A hint (the
    /// reader may queue more at any moment) for handlers that batch their writes.
    public var moreQueued: Bool { Self.moreQueued(on: subscription) }

    /// True when messages of `subscription` wait to be delivered.
    static func moreQueued(on subscription: OpaquePointer?) -> Bool {
        guard let subscription else { return false }
        var pending: Int32 = 0
        return natsSubscription_GetPending(subscription, &pending, nil) == NATS_OK && pending > 0
    }

    /// Subject it was published to.
    public var subject: String { String(cString: natsMsg_GetSubject(raw)) }

    /// Reply subject, when the publisher waits for an answer.
    public var replyTo: String? {
        guard let reply = natsMsg_GetReply(raw), reply.pointee != 0 else { return nil }
        return String(cString: reply)
    }

    /// The first value of header `name` (exact case, as nats.c stores it).
    public func header(_ name: String) -> String? {
        if let headerBlock { return NATSHeaderBlock.first(name, in: headerBlock) }
        var value: UnsafePointer<CChar>?
        guard natsMsgHeader_Get(raw, name, &value) == NATS_OK, let value else { return nil }
        return String(cString: value)
    }

    /// All headers, copied.
    public var headers: Headers { NATSHeaderWriter.read(from: raw, block: headerBlock) }

    /// Body bytes, valid only inside the handler.
    public var payload: UnsafeRawBufferPointer {
        let length = Int(natsMsg_GetDataLength(raw))
        guard length > 0, let data = natsMsg_GetData(raw) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: data, count: length)
    }

    /// True for the server's "no responders" status reply.
    ///
    /// Read from the located block when there is one: nats.c's own check lifts the headers
    /// into its map, which writes NULs into the block this view has already located.
    public var isNoResponders: Bool {
        guard let headerBlock else { return natsMsg_IsNoResponders(raw) }
        return natsMsg_GetDataLength(raw) == 0 && NATSHeaderBlock.first("Status", in: headerBlock) == "503"
    }

    /// An owned copy.
    public func copy() -> NATSMessage { NATSMessage(copying: raw, block: headerBlock) }
}
