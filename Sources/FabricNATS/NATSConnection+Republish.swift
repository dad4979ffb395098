import CNATS
import FabricCore

#if canImport(Glibc)
import Glibc
#endif

extension NATSConnection {
    /// Publishes a received message again, to `subject`, keeping its headers and body,
    /// with `headers` set on top (replacing same-named ones).
    ///
    /// The copy stays in C (no Swift strings for the headers being carried along): this is
    /// the router's hot path. `flush: false` from a handler of this connection's
    /// subscriptions leaves it in nats.c's buffer until the burst ends (`NATSOptions.batchWhenBusy`).
    public func republish(
        _ message: borrowing NATSMessageView, to subject: String, replyTo: String?, setting headers: Headers,
        flush: Bool = true
    ) throws(NATSError) {
        let body = message.payload
        if NATSWireMessage.isAvailable {
            guard
                let copy = NATSWireMessage.republish(
                    message.raw, block: message.headerBlock, subject: subject, replyTo: replyTo, setting: headers,
                    bytes: body)
            else {
                throw NATSError(
                    status: NATSWireMessage.refusal(subject: subject, replyTo: replyTo), context: "republish to \(subject)")
            }
            try check(send(copy, flush: flush), "republish to \(subject)")
            return
        }
        var created: OpaquePointer?
        var status = natsMsg_Create(
            &created, subject, replyTo, body.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(body.count))
        guard status == NATS_OK, let copy = created else { throw NATSError(status: status, context: "republish to \(subject)") }
        defer { NATSMessageMemory.destroy(copy) }
        var keys: UnsafeMutablePointer<UnsafePointer<CChar>?>?
        var count: Int32 = 0
        if natsMsgHeader_Keys(message.raw, &keys, &count) == NATS_OK, let keys {
            defer { free(UnsafeMutableRawPointer(mutating: keys)) }
            for index in 0..<Int(count) {
                guard let key = keys[index] else { continue }
                var values: UnsafeMutablePointer<UnsafePointer<CChar>?>?
                var valueCount: Int32 = 0
                guard natsMsgHeader_Values(message.raw, key, &values, &valueCount) == NATS_OK, let values else { continue }
                for valueIndex in 0..<Int(valueCount) {
                    if let value = values[valueIndex], value.pointee != 0 { natsMsgHeader_Add(copy, key, value) }
                }
                free(UnsafeMutableRawPointer(mutating: values))
            }
        }
        for field in headers where !field.value.isEmpty {
            status = natsMsgHeader_Set(copy, field.name, field.value)
            guard status == NATS_OK else { throw NATSError(status: status, context: "republish header \(field.name)") }
        }
        try check(natsConnection_PublishMsg(raw, copy), "republish to \(subject)")
    }

    /// Answers a request with a status and optional error text and body. `flush: false`
    /// from a handler leaves the answer in nats.c's buffer until the burst ends (`NATSOptions.batchWhenBusy`).
    public func reply(
        to replySubject: String, status: Status, error: String? = nil, headers: Headers = Headers(),
        payload: some Collection<UInt8> = [], flush: Bool = true
    ) throws(NATSError) {
        var all = headers
        all.set(HeaderName.status, status.rawValue)
        if let error, !error.isEmpty { all.set(HeaderName.error, error) }
        try publish(replySubject, headers: all, payload: payload, flush: flush)
    }
}
