import FabricConformance
import FabricCore
import FabricHTTP

/// Maps an HTTP answer to the conformance suite's terms with the adapter's own table.
struct ConformanceOutcomeBridge: Sendable {
    let reply: HTTPReply

    var outcome: ConformanceOutcome {
        ConformanceOutcome(
            status: HTTPStatusMapping.status(forHTTP: reply.status), reason: reply.field("reason"), payload: reply.body,
            correlationID: reply.headers["x-correlation-id"], tooLarge: reply.status == 413,
            detail: "HTTP/\(reply.version) \(reply.status)")
    }
}
