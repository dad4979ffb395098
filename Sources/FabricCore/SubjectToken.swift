/// Reversible, subject-safe encoding of arbitrary strings into one NATS subject token.
///
/// Principals, session ids and topic levels are arbitrary (`a.b@x.com`, `räksmörgås`,
/// empty); a NATS token may not contain `.`, `*`, `>` or whitespace. The encoding keeps
/// ASCII letters, digits, `-` and `_`, writes every other byte of the UTF-8 form as `~`
/// and two upper-case hex digits, and writes the empty string as `~_`. `~~` joins the
/// parts of a composite token (a client id is principal `~~` session). The form is
/// canonical: decoding refuses anything `encode` would not produce, so one string has
/// exactly one token and no two principals can share one.
public enum SubjectToken {
    /// Longest accepted input, in UTF-8 bytes (an encoded token is at most 3× this).
    public static let maxInputBytes = 256

    /// The token for `text`.
    public static func encode(_ text: String) -> String {
        let bytes = text.utf8
        if bytes.isEmpty { return "~_" }
        if bytes.allSatisfy(isPlain) { return text }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            if isPlain(byte) {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "~"))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0xF)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The string `token` encodes, or a reason it is not a canonical token.
    public static func decode(_ token: String) throws(ValidationError) -> String {
        let bytes = Array(token.utf8)
        if bytes == [UInt8(ascii: "~"), UInt8(ascii: "_")] { return "" }
        guard !bytes.isEmpty else { throw ValidationError(path: token, reason: "an empty token is not an encoding") }
        if bytes.allSatisfy(isPlain) { return token }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if isPlain(byte) {
                output.append(byte)
                index += 1
                continue
            }
            guard byte == UInt8(ascii: "~"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            else {
                throw ValidationError(path: token, reason: "not a subject token encoding (bad escape at byte \(index))")
            }
            let decoded = high << 4 | low
            if isPlain(decoded) {
                throw ValidationError(path: token, reason: "not canonical: '\(Character(Unicode.Scalar(decoded)))' is escaped")
            }
            output.append(decoded)
            index += 3
        }
        guard let text = String(validating: output, as: UTF8.self) else {
            throw ValidationError(path: token, reason: "decodes to invalid UTF-8")
        }
        return text
    }

    /// One token made of several strings, e.g. a client id from (principal, session).
    public static func join(_ parts: [String]) -> String {
        parts.map(encode).joined(separator: "~~")
    }

    /// The strings a composite token was made of.
    public static func split(_ token: String) throws(ValidationError) -> [String] {
        var parts: [String] = []
        for part in token.split(separator: "~~", omittingEmptySubsequences: false) {
            parts.append(try decode(String(part)))
        }
        return parts
    }

    /// True when `token` is safe as one NATS subject token.
    public static func isSubjectSafe(_ token: Substring) -> Bool {
        !token.isEmpty && token.utf8.allSatisfy { $0 > 32 && $0 < 127 && $0 != 46 && $0 != 42 && $0 != 62 }
    }

    @inline(__always)
    private static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
