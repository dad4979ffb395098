import FabricCore
import FabricNATS
import FabricService

/// The `flaky` example backend: fails on demand, to watch retries and dead letters.
///
/// The JSON payload says what to do; it counts by `Fabric-Attempt`, so it needs no state
/// and behaves the same on any instance:
/// - `{"fail": 2}`: attempts 1 and 2 answer `retry`, attempt 3 succeeds;
/// - `{"fail": "always"}`: every attempt answers `retry` (dead-lettered after the last);
/// - `{"error": "why"}`: a terminal `error` (dead-lettered at once);
/// - anything else: the first `failures` attempts answer `retry`, then it succeeds.
public enum FlakyBackend {
    /// Creates the service.
    public static func make(
        connection: NATSConnection, jetStream: JetStream, name: String = "flaky", failures: Int = 1
    ) -> FabricService {
        let service = FabricService(name: name, connection: connection, jetStream: jetStream)
        service.on(">") { request, _ in
            let attempt = request.attempt ?? 1
            let body = JSONCodec.parse(request.payload)
            if let reason = body?.value(at: try JSONPointer("/error")) {
                return .error(reason.stringValue ?? "asked to fail")
            }
            let failing: Bool
            switch body?.value(at: try JSONPointer("/fail")) {
            case .string("always")?: failing = true
            case let value?: failing = attempt <= Int(value.numberValue ?? 0)
            case nil: failing = attempt <= failures
            }
            if failing { return .retry("flaky: attempt \(attempt) fails on purpose") }
            return try .ok(json: ["attempt": attempt])
        }
        return service
    }
}
