import CNATS
import FabricCore

#if canImport(Glibc)
import Glibc
#endif

/// Builds messages from a header block encoded here, not through nats.c's header map
/// (which costs about 10 µs per message with a dozen headers in nats.c 3.4): as frames
/// (`NATSWireFrame`), and from them nats.c messages.
///
/// Uses nats.c's exported-but-undeclared `natsMsg_create` and write buffer, so only with
/// the library version whose signatures were verified; `isAvailable` is false otherwise and
/// callers use the public API.
enum NATSWireMessage {
    /// True when the linked nats.c is 3.4.x.
    static let isAvailable: Bool = (nats_GetVersionNumber() >> 8) == 0x0304

    /// A frame with `headers` (none when empty) and `bytes`, or nil when the headers cannot
    /// be encoded (a name or value with CR, LF or an invalid character; such input is
    /// refused) or a subject is invalid.
    static func frame(subject: String, replyTo: String?, headers: Headers?, bytes: UnsafeRawBufferPointer) -> NATSWireFrame? {
        let room = NATSWireFrame.lineRoom(subject: subject, replyTo: replyTo)
        let fields = headers.map { 12 + $0.byteCount + $0.count * 4 } ?? 0
        var buffer = NATSWireFrame.buffer(room: room, capacity: room + fields + bytes.count + 2)
        var headerLength = 0
        if let headers, !headers.isEmpty {
            buffer.append(contentsOf: "NATS/1.0\r\n".utf8)
            for field in headers {
                guard append(name: field.name, value: field.value, to: &buffer) else { return nil }
            }
            buffer.append(13)
            buffer.append(10)
            headerLength = buffer.count - room
        }
        buffer.append(contentsOf: bytes)
        return NATSWireFrame(subject: subject, replyTo: replyTo, buffer: buffer, headerLength: headerLength)
    }

    /// Why `frame` built nothing: an invalid subject, or else a header that cannot be encoded.
    static func refusal(subject: String, replyTo: String?) -> natsStatus {
        NATSWireFrame.isSubject(subject) && (replyTo.map(NATSWireFrame.isSubject) ?? true)
            ? NATS_INVALID_ARG : NATS_INVALID_SUBJECT
    }

    /// A copy of a received message for `subject`, its headers carried over in C (no
    /// Swift strings for them) with `setting` replacing same-named ones, body unchanged.
    static func republish(
        _ source: OpaquePointer, block sourceBlock: UnsafeRawBufferPointer?, subject: String, replyTo: String?,
        setting: Headers, bytes: UnsafeRawBufferPointer
    ) -> NATSWireFrame? {
        let room = NATSWireFrame.lineRoom(subject: subject, replyTo: replyTo)
        let block = (sourceBlock?.count ?? 1024) + 12 + setting.byteCount + setting.count * 4
        var buffer = NATSWireFrame.buffer(room: room, capacity: room + block + bytes.count + 2)
        buffer.append(contentsOf: "NATS/1.0\r\n".utf8)
        var keys: UnsafeMutablePointer<UnsafePointer<CChar>?>?
        var count: Int32 = 0
        if let block = sourceBlock {
            NATSHeaderBlock.forEachField(in: block) { name, value in
                guard !value.isEmpty, !setting.contains(where: { sameBytes($0.name, name) }) else { return }
                appendField(name, value, to: &buffer)
            }
        } else if natsMsgHeader_Keys(source, &keys, &count) == NATS_OK, let keys {
            defer { free(UnsafeMutableRawPointer(mutating: keys)) }
            for index in 0..<Int(count) {
                guard let key = keys[index] else { continue }
                let name = UnsafeRawBufferPointer(start: key, count: strlen(key))
                if setting.contains(where: { sameBytes($0.name, name) }) { continue }
                var values: UnsafeMutablePointer<UnsafePointer<CChar>?>?
                var valueCount: Int32 = 0
                guard natsMsgHeader_Values(source, key, &values, &valueCount) == NATS_OK, let values else { continue }
                for valueIndex in 0..<Int(valueCount) {
                    guard let value = values[valueIndex], value.pointee != 0 else { continue }
                    appendField(name, UnsafeRawBufferPointer(start: value, count: strlen(value)), to: &buffer)
                }
                free(UnsafeMutableRawPointer(mutating: values))
            }
        }
        for field in setting {
            guard append(name: field.name, value: field.value, to: &buffer) else { return nil }
        }
        buffer.append(13)
        buffer.append(10)
        let headerLength = buffer.count - room
        buffer.append(contentsOf: bytes)
        return NATSWireFrame(subject: subject, replyTo: replyTo, buffer: buffer, headerLength: headerLength)
    }

    /// Whether `name` is spelled by `bytes`: lengths first (most names differ there), then
    /// memcmp; the generic `elementsEqual` walked both a byte at a time.
    static func sameBytes(_ name: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard name.utf8.count == bytes.count else { return false }
        // Equal lengths: two empty names are equal, and a non-empty one has an address.
        guard !bytes.isEmpty, let base = bytes.baseAddress else { return true }
        return name.utf8.withContiguousStorageIfAvailable { memcmp($0.baseAddress!, base, bytes.count) == 0 }
            ?? name.utf8.elementsEqual(bytes)
    }

    /// Appends one `name: value` line of a header block.
    private static func appendField(_ name: some Collection<UInt8>, _ value: some Collection<UInt8>, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: name)
        buffer.append(UInt8(ascii: ":"))
        buffer.append(UInt8(ascii: " "))
        buffer.append(contentsOf: value)
        buffer.append(13)
        buffer.append(10)
    }

    /// Appends the line `name: value`, checked on the bytes as they are copied: a name of
    /// visible ASCII without ':' (RFC 7230 tokens are a subset), a value without CR or LF
    /// (which would inject headers). Nothing for a blank value (nats.c 3.4.1 misparses empty
    /// values on receipt: empty means absent). False for a field that cannot be encoded.
    private static func append(name: String, value: String, to buffer: inout [UInt8]) -> Bool {
        withUTF8(value) { value in
            guard value.contains(where: { $0 != 32 && $0 != 9 }) else { return true }
            guard !value.contains(where: { $0 == 13 || $0 == 10 }) else { return false }
            return withUTF8(name) { name in
                guard !name.isEmpty, !name.contains(where: { $0 <= 32 || $0 >= 127 || $0 == UInt8(ascii: ":") }) else {
                    return false
                }
                appendField(name, value, to: &buffer)
                return true
            }
        }
    }

    /// The UTF-8 bytes of `string`, in place for a native string.
    private static func withUTF8<Result>(_ string: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = string.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = string
        return copy.withUTF8(body)
    }
}
