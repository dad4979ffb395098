import W3CTraceContext

/// W3C `traceparent` handling: validation of what clients send, and new spans.
public enum TraceParent {
    /// `value` when it is a valid W3C traceparent, else nil (invalid input is dropped, never forwarded).
    public static func validated(_ value: String?) -> String? {
        guard let value, (try? TraceContext(traceParentHeaderValue: value)) != nil else { return nil }
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
        TraceContext(traceID: .random(), spanID: .random(), flags: .sampled, state: TraceState()).traceParentHeaderValue
    }

    /// A traceparent for a new span in the same trace as `parent` (a fresh trace when
    /// `parent` is not valid).
    public static func child(of parent: String?) -> String {
        guard let parent, let context = try? TraceContext(traceParentHeaderValue: parent) else { return fresh() }
        return TraceContext(traceID: context.traceID, spanID: .random(), flags: context.flags, state: context.state)
            .traceParentHeaderValue
    }

    /// The 32-hex trace id of a valid traceparent.
    public static func traceID(of value: String) -> String? {
        guard (try? TraceContext(traceParentHeaderValue: value)) != nil else { return nil }
        let parts = value.split(separator: "-")
        return parts.count >= 2 ? String(parts[1]) : nil
    }
}
