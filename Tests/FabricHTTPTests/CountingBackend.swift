import FabricConformance
import FabricCore
import FabricNATS
import FabricService
import Synchronization

/// The `counter` backend: counts its calls per type and answers who asked, from which
/// region (the forwarded `x-region`), how many calls it has seen and what the query was;
/// types ending in `.fail` answer `error`.
final class CountingBackend: Sendable {
    /// What it answers.
    struct Answer: Codable, Sendable {
        var principal: String?
        var region: String?
        var count: Int
        var query: JSONValue
    }

    let service: FabricService
    private let calls = Mutex<[String: Int]>([:])

    init(connection: NATSConnection, jetStream: JetStream) {
        service = FabricService(name: "counter", connection: connection, jetStream: jetStream)
        service.on(">") { [self] request, _ in
            let count = calls.withLock { calls -> Int in
                calls[request.type, default: 0] += 1
                return calls[request.type]!
            }
            if request.type.hasSuffix(".fail") { return .error("failing on purpose") }
            return try .ok(
                json: Answer(
                    principal: request.claims?.principal, region: request.envelope.extra[ConformanceEnvironment.forwardedHeader],
                    count: count, query: JSONCodec.parse(request.payload) ?? .null)
            )
        }
    }

    /// Calls seen for `type`.
    func calls(_ type: String) -> Int { calls.withLock { $0[type, default: 0] } }
}
