import W3CTraceContext

/// W3C `traceparent` handling: validation of what clients send, and new spans.
public enum TraceParent {
    /// `value` when it is a valid W3C traceparent, else nil (invalid input is dropped, never forwarded).
    public static func validated(_ value: String?) -> String? {
        guard let value, (try? TraceContext(traceParentHeaderValue: value)) != nil else { return nil }
        return value
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
