import CNATS

/// One message as nats.c writes it to the server: the protocol line
/// (`HPUB subject [reply] header-length total-length`, or `PUB subject [reply] length`
/// without headers), the header block, the body and CRLF.
///
/// Built once, in one buffer: a connection that batches writes it straight into nats.c's
/// buffer (`NATSWriteBuffer`); any other turns the same bytes into a nats.c message.
struct NATSWireFrame: Sendable {
    /// The buffer; the frame is `bytes[start...]`.
    let bytes: [UInt8]
    /// Where the protocol line starts in `bytes`.
    let start: Int
    /// Where the header block starts (the body, without headers).
    let headerStart: Int
    /// Length of the header block; 0 without headers.
    let headerLength: Int
    /// Length of the body.
    let payloadLength: Int
    let subject: String
    let replyTo: String?

    /// Header block and body: what the server holds against `max_payload`.
    var messageSize: Int { headerLength + payloadLength }

    /// Bytes to leave in front of the header block for the longest protocol line.
    static func lineRoom(subject: String, replyTo: String?) -> Int {
        // "HPUB " subject " " [reply " "] up to 10 digits " " up to 10 digits CRLF
        5 + subject.utf8.count + 1 + (replyTo.map { $0.utf8.count + 1 } ?? 0) + 11 + 10 + 2
    }

    /// Subjects and reply subjects: not empty, no space or control byte (either would
    /// break the protocol line).
    static func isSubject(_ subject: String) -> Bool {
        !subject.isEmpty && subject.utf8.allSatisfy(isSubjectByte)
    }

    /// A byte a subject may hold: no space or control byte.
    static func isSubjectByte(_ byte: UInt8) -> Bool { byte > 32 && byte != 127 }

    /// An empty buffer for a frame: `capacity` bytes or more, its first `room` (`lineRoom`)
    /// kept for the protocol line.
    static func buffer(room: Int, capacity: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: max(room, capacity)) { bytes, count in
            bytes.baseAddress!.initialize(repeating: 0, count: room)
            count = room
        }
    }

    /// Completes a frame from `buffer` (see `buffer(room:capacity:)`): the room for the
    /// protocol line, then the header block (`headerLength` bytes, 0 for none) and the
    /// body. Nil for an invalid subject (`isSubject`).
    init?(subject: String, replyTo: String?, buffer: consuming [UInt8], headerLength: Int) {
        guard !subject.isEmpty, replyTo?.isEmpty != true else { return nil }
        let headerStart = Self.lineRoom(subject: subject, replyTo: replyTo)
        let payloadLength = buffer.count - headerStart - headerLength
        buffer.append(13)
        buffer.append(10)
        var index = headerStart
        var valid = true
        buffer.withUnsafeMutableBufferPointer { bytes in
            func put(_ byte: UInt8) {
                index -= 1
                bytes[index] = byte
            }
            func put(number: Int) {
                var rest = number
                repeat {
                    put(UInt8(ascii: "0") + UInt8(rest % 10))
                    rest /= 10
                } while rest > 0
            }
            func put(subject: String) {
                for byte in subject.utf8.reversed() {
                    if !Self.isSubjectByte(byte) { valid = false }
                    put(byte)
                }
            }
            // Written backwards, ending where the header block starts.
            put(10)
            put(13)
            put(number: headerLength + payloadLength)
            if headerLength > 0 {
                put(32)
                put(number: headerLength)
            }
            put(32)
            if let replyTo {
                put(subject: replyTo)
                put(32)
            }
            put(subject: subject)
            put(32)
            for byte in (headerLength > 0 ? "HPUB" : "PUB").utf8.reversed() { put(byte) }
        }
        guard valid else { return nil }
        self.bytes = buffer
        self.start = index
        self.headerStart = headerStart
        self.headerLength = headerLength
        self.payloadLength = payloadLength
        self.subject = subject
        self.replyTo = replyTo
    }

    /// Calls `body` with the frame's bytes, protocol line to final CRLF.
    func withWire<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        bytes.withUnsafeBytes { all in body(UnsafeRawBufferPointer(rebasing: all[start...])) }
    }

    /// The same message as a nats.c message (the caller destroys it), for a connection
    /// that does not take frames; nil if nats.c cannot allocate it.
    func message() -> OpaquePointer? {
        var message: OpaquePointer?
        let status = bytes.withUnsafeBytes { all in
            // Never a nil base: the buffer always holds the protocol line's room.
            let base = all.baseAddress!.advanced(by: headerStart).assumingMemoryBound(to: CChar.self)
            return natsMsg_create(
                &message, subject, Int32(subject.utf8.count), replyTo, Int32(replyTo?.utf8.count ?? 0), base,
                Int32(messageSize), Int32(headerLength))
        }
        return status == NATS_OK ? message : nil
    }
}
