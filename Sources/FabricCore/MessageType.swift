/// Syntax of message types and service names, which become subject tokens as they are.
///
/// A type is 1–16 dot-separated tokens of ASCII letters, digits, `-` and `_`
/// (`order.created`, `sensor.eu-west.temp`), at most 128 bytes. A service name is one
/// such token. No wildcards: those belong to rules, not to messages.
public enum MessageType {
    /// Longest type, in bytes.
    public static let maxBytes = 128
    /// Most tokens in a type.
    public static let maxTokens = 16

    /// Checks `type`, throwing the reason it is not a valid type.
    public static func validate(_ type: String) throws(ValidationError) {
        let bytes = type.utf8
        guard !bytes.isEmpty else { throw ValidationError(path: "type", reason: "a type may not be empty") }
        guard bytes.count <= maxBytes else {
            throw ValidationError(path: "type", reason: "longer than \(maxBytes) bytes")
        }
        var tokens = 1
        var tokenLength = 0
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard tokenLength > 0 else { throw ValidationError(path: "type", reason: "'\(type)' has an empty token") }
                tokens += 1
                tokenLength = 0
            } else if isTokenByte(byte) {
                tokenLength += 1
            } else {
                throw ValidationError(
                    path: "type",
                    reason: "'\(type)' may only contain letters, digits, '-', '_' and '.' between tokens")
            }
        }
        guard tokenLength > 0 else { throw ValidationError(path: "type", reason: "'\(type)' has an empty token") }
        guard tokens <= maxTokens else {
            throw ValidationError(path: "type", reason: "more than \(maxTokens) tokens")
        }
    }

    /// Checks a service name: one token of letters, digits, `-` and `_`, at most 64 bytes.
    public static func validateService(_ name: String) throws(ValidationError) {
        guard !name.isEmpty, name.utf8.count <= 64, name.utf8.allSatisfy(isTokenByte) else {
            throw ValidationError(
                path: "service", reason: "'\(name)' is not a service name (1-64 letters, digits, '-' or '_')")
        }
    }

    @inline(__always)
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }
}
