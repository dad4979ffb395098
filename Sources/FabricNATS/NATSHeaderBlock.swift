import CNATS

#if canImport(Glibc)
import Glibc
#endif

/// The header block of a received message (`NATS/1.0\r\nName: value\r\n…\r\n`), read
/// where nats.c received it.
///
/// nats.c's header API parses the block into a hash map on the first read (an allocation
/// per header and per value list) and hands out copies; the router, every service and the
/// adapters read a dozen headers of each message, and the map was the largest source of
/// heap allocations on the request path. nats.c 3.4 has no accessor for the raw block, but
/// `natsMsg_create` lays a received message out as subject, NUL, reply and NUL (when
/// there is one), the header block, then the payload (after one NUL in later releases).
/// The block is found from the public subject, reply and payload pointers and accepted
/// only when it has the exact shape nats.c would parse; anything else (another layout,
/// headers already lifted into nats.c's map, folded lines) returns nil and the caller uses
/// nats.c's API.
enum NATSHeaderBlock {
    /// The block of `message`: nil when it cannot be read in place, an empty buffer when
    /// the message has no headers.
    static func locate(_ message: OpaquePointer) -> UnsafeRawBufferPointer? {
        guard NATSWireMessage.isAvailable, let subject = natsMsg_GetSubject(message) else { return nil }
        var start = UnsafeRawPointer(subject) + strlen(subject) + 1
        if let reply = natsMsg_GetReply(message) {
            // The reply follows the subject; anything else is a layout this does not know.
            guard UnsafeRawPointer(reply) == start else { return nil }
            start = UnsafeRawPointer(reply) + strlen(reply) + 1
        }
        guard let data = natsMsg_GetData(message).map(UnsafeRawPointer.init) else { return nil }
        if data == start { return UnsafeRawBufferPointer(start: nil, count: 0) }
        // Read the prefix before trusting the distance: a payload elsewhere than right
        // after the block (a layout this does not know) fails here or on the bound.
        guard data > start, data - start <= maxBlockBytes,
            data - start >= prefix.count, UnsafeRawBufferPointer(start: start, count: prefix.count).elementsEqual(prefix)
        else { return nil }
        var end = data
        if end.load(fromByteOffset: -1, as: UInt8.self) == 0 { end -= 1 }
        let block = UnsafeRawBufferPointer(start: start, count: end - start)
        return isReadable(block) ? block : nil
    }

    /// Calls `body` with the name and value of every field in order (values trimmed as
    /// nats.c trims them), then with `Status` and `Description` when the first line has them.
    static func forEachField(
        in block: UnsafeRawBufferPointer, _ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void
    ) {
        fields(in: block) { name, value in
            body(name, value)
            return true
        }
    }

    /// The walk behind `forEachField` and `first`: stops when `body` returns false.
    private static func fields(
        in block: UnsafeRawBufferPointer, _ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Bool
    ) {
        guard block.count > prefix.count else { return }
        let statusLine = line(in: block, from: prefix.count)
        var index = statusLine.upperBound + 2
        while index < block.count - 2 {
            let range = line(in: block, from: index)
            if let colon = find(UInt8(ascii: ":"), in: block, range) {
                let value = trimmed(block, (colon + 1)..<range.upperBound)
                let more = body(
                    UnsafeRawBufferPointer(rebasing: block[range.lowerBound..<colon]),
                    UnsafeRawBufferPointer(rebasing: block[value]))
                if !more { return }
            }
            index = range.upperBound + 2
        }
        let (code, description) = status(in: block, statusLine)
        guard let code else { return }
        let more = NATSHeaderBlock.statusName.withUTF8Buffer { name in
            body(UnsafeRawBufferPointer(name), UnsafeRawBufferPointer(rebasing: block[code]))
        }
        guard more, let description else { return }
        _ = NATSHeaderBlock.descriptionName.withUTF8Buffer { name in
            body(UnsafeRawBufferPointer(name), UnsafeRawBufferPointer(rebasing: block[description]))
        }
    }

    /// The status code (three characters) and description on the first line, as nats.c splits them.
    private static func status(in block: UnsafeRawBufferPointer, _ statusLine: Range<Int>) -> (Range<Int>?, Range<Int>?) {
        let status = trimmed(block, statusLine)
        guard !status.isEmpty else { return (nil, nil) }
        let code = status.lowerBound..<min(status.upperBound, status.lowerBound + 3)
        let description = trimmed(block, code.upperBound..<status.upperBound)
        return (code, description.isEmpty ? nil : description)
    }

    /// The first value of field `name` (exact case, as nats.c's map compares).
    static func first(_ name: String, in block: UnsafeRawBufferPointer) -> String? {
        var wanted = name
        return wanted.withUTF8 { wantedBytes -> String? in
            let wantedRaw = UnsafeRawBufferPointer(wantedBytes)
            var found: String?
            fields(in: block) { field, value in
                guard field.count == wantedRaw.count, field.elementsEqual(wantedRaw) else { return true }
                found = String(decoding: value, as: UTF8.self)
                return false
            }
            return found
        }
    }

    private static let prefix = Array("NATS/1.0".utf8)
    /// Larger than any header block nats-server passes (its `max_payload` bounds it).
    private static let maxBlockBytes = 64 << 20
    private static let statusName: StaticString = "Status"
    private static let descriptionName: StaticString = "Description"

    /// The shape nats.c parses without error, no NUL (which a lift would have written),
    /// and no folded line (which nats.c joins and this would not).
    private static func isReadable(_ block: UnsafeRawBufferPointer) -> Bool {
        let count = block.count
        guard count >= prefix.count + 4, block.starts(with: prefix),
            block[count - 4] == 13, block[count - 3] == 10, block[count - 2] == 13, block[count - 1] == 10,
            find(0, in: block, 0..<count) == nil
        else { return false }
        var index = line(in: block, from: prefix.count).upperBound + 2
        while index < count - 2 {
            let range = line(in: block, from: index)
            guard !range.isEmpty, block[range.lowerBound] != 32, block[range.lowerBound] != 9,
                find(UInt8(ascii: ":"), in: block, range) != nil
            else { return false }
            index = range.upperBound + 2
        }
        return true
    }

    /// The line starting at `start`, up to (not including) its CR LF.
    private static func line(in block: UnsafeRawBufferPointer, from start: Int) -> Range<Int> {
        var index = start
        while index + 1 < block.count {
            guard let cr = find(13, in: block, index..<(block.count - 1)) else { break }
            if block[cr + 1] == 10 { return start..<cr }
            index = cr + 1
        }
        return start..<block.count
    }

    /// The index of the first `byte` in `range` of `block`.
    private static func find(_ byte: UInt8, in block: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, let base = block.baseAddress,
            let hit = memchr(base + range.lowerBound, Int32(byte), range.count)
        else { return nil }
        return UnsafeRawPointer(hit) - base
    }

    private static func trimmed(_ block: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, block[lower] == 32 || block[lower] == 9 { lower += 1 }
        while upper > lower, block[upper - 1] == 32 || block[upper - 1] == 9 { upper -= 1 }
        return lower..<upper
    }
}
