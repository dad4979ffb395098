/// W3C `traceparent` handling: validation of what clients send, and new spans.
public enum TraceParent {
    /// `value` when it is a valid W3C traceparent, else nil (invalid input is dropped, never forwarded).
    public static func validated(_ value: String?) -> String? {
        guard let value, isValid(value) else { return nil }
        return value
    }

    /// True for a valid version-00 traceparent: `00-<32 hex>-<16 hex>-<2 hex>`, lower-case,
    /// neither id all zeros. The same rules as swift-w3c-trace-context's parser, checked
    /// without building a context, because every envelope decode runs it.
    public static func isValid(_ value: String) -> Bool {
        return value.utf8.withContiguousStorageIfAvailable { bytes in
            guard bytes.count == 55, bytes[0] == 0x30, bytes[1] == 0x30, bytes[2] == 0x2D, bytes[35] == 0x2D, bytes[52] == 0x2D
            else { return false }
            var traceNonZero = false
            var spanNonZero = false
            for index in 3..<55 where index != 35 && index != 52 {
                let byte = bytes[index]
                let isHex = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66)
                guard isHex else { return false }
                if byte != 0x30 {
                    if index < 35 { traceNonZero = true } else if index < 52 { spanNonZero = true }
                }
            }
            return traceNonZero && spanNonZero
        } ?? isValidSlowly(value)
    }

    private static func isValidSlowly(_ value: String) -> Bool {
        var copy = value
        copy.makeContiguousUTF8()
        return isValid(copy)
    }

    /// A traceparent for a new trace, sampled.
    public static func fresh() -> String {
        var generator = PooledRandom()
        return format(traceHigh: nonZero(&generator), traceLow: generator.next(), span: nonZero(&generator))
    }

    /// A traceparent for a new span in the same trace as `parent` (a fresh trace when
    /// `parent` is not valid).
    ///
    /// Written directly: formatting through swift-w3c-trace-context's `TraceContext` took
    /// eight heap allocations per span, on every request the adapters and services handle.
    public static func child(of parent: String?) -> String {
        guard let parent, isValid(parent) else { return fresh() }
        var generator = PooledRandom()
        var bytes = Array(parent.utf8)
        write(nonZero(&generator), into: &bytes, at: 36)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The 32-hex trace id of a valid traceparent.
    public static func traceID(of value: String) -> String? {
        guard isValid(value) else { return nil }
        return String(decoding: Array(value.utf8)[3..<35], as: UTF8.self)
    }

    private static func nonZero(_ generator: inout PooledRandom) -> UInt64 {
        while true {
            let value = generator.next()
            if value != 0 { return value }
        }
    }

    /// A sampled version-00 traceparent (flags `01`).
    private static func format(traceHigh: UInt64, traceLow: UInt64, span: UInt64) -> String {
        var bytes = [UInt8](repeating: UInt8(ascii: "-"), count: 55)
        bytes[0] = UInt8(ascii: "0")
        bytes[1] = UInt8(ascii: "0")
        write(traceHigh, into: &bytes, at: 3)
        write(traceLow, into: &bytes, at: 19)
        write(span, into: &bytes, at: 36)
        bytes[53] = UInt8(ascii: "0")
        bytes[54] = UInt8(ascii: "1")
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes `value` as 16 lower-case hex digits, most significant first.
    private static func write(_ value: UInt64, into bytes: inout [UInt8], at offset: Int) {
        let digits: StaticString = "0123456789abcdef"
        digits.withUTF8Buffer { hex in
            for index in 0..<16 {
                bytes[offset + index] = hex[Int((value >> UInt64(60 - index * 4)) & 0xF)]
            }
        }
    }
}
