import FabricConformance
import FabricCore
import HTTPTypes

@testable import FabricWebSocket

/// The conformance driver over HummingbirdWSClient: one connection per message, the token
/// in the upgrade's `Authorization`; a refused upgrade is read back from a raw handshake
/// (WebSocket clients only say "upgrade failed").
final class WebSocketDriver: ConformanceDriver {
    let url: URLBox

    init(url: URLBox) { self.url = url }

    func waitUntilReady() async throws { _ = try await url.get() }

    func publish(_ message: ConformanceMessage) async throws -> ConformanceOutcome {
        try await exchange(message, request: false)
    }

    func request(_ message: ConformanceMessage) async throws -> ConformanceOutcome {
        try await exchange(message, request: true)
    }

    func close() async {}

    /// What `wait` finds, or nil once `client`'s connection closes first (or after `timeout`).
    private static func beforeClose(
        of client: WSTestClient, timeout: Duration,
        _ wait: @escaping @Sendable () async -> WSTestClient.Received?
    ) async -> WSTestClient.Received? {
        await withTaskGroup(of: WSTestClient.Received?.self) { group in
            group.addTask { await wait() }
            group.addTask {
                _ = await client.closeCode(timeout: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    private func exchange(_ message: ConformanceMessage, request: Bool) async throws -> ConformanceOutcome {
        var headers = HTTPFields()
        if let token = message.token { headers[.authorization] = "Bearer \(token)" }
        let client: WSTestClient
        do {
            client = try await WSTestClient.connect(try await url.get() + "/v1/ws", headers: headers)
        } catch {
            let answer = try await RawHandshake.send(
                port: try await url.port(), path: "/v1/ws",
                headers: message.token.map { [("Authorization", "Bearer \($0)")] } ?? [])
            let reason = JSONCodec.parse(answer.body).flatMap { value -> String? in
                guard case .object(let fields) = value else { return nil }
                return fields["reason"]?.stringValue
            }
            return ConformanceOutcome(
                status: WebSocketStatusMapping.status(forUpgradeRefusal: answer.status), reason: reason,
                detail: "HTTP \(answer.status) before the upgrade")
        }
        // A connection upgraded while the adapter drains is closed at once, without `ready`:
        // that close is the answer, not something to wait out.
        let ready = await Self.beforeClose(of: client, timeout: .seconds(20)) { await client.frame("ready") }
        guard ready != nil || client.messages.contains(where: { $0.op == "ready" }) else {
            defer { Task { await client.close() } }
            guard client.isClosed else { throw WSTestError("no ready frame") }
            let code = await client.closeCode() ?? 1006
            return ConformanceOutcome(
                status: WebSocketStatusMapping.status(forClose: code), detail: "close \(code) before ready")
        }
        var fields: [String: JSONValue] = ["op": .string(request ? "request" : "publish"), "type": .string(message.type)]
        if request { fields["id"] = .string("r1") } else { fields["ack"] = .string("a1") }
        if let key = message.idempotencyKey { fields["id"] = .string(key) }
        if let timeout = message.timeout { fields["timeout"] = .number(Double(timeout.milliseconds)) }
        if !message.metadata.isEmpty {
            fields["headers"] = .object(Dictionary(message.metadata.map { ($0.name, JSONValue.string($0.value)) }) { $1 })
        }
        if JSONCodec.parse(message.payload) != nil {
            var text = JSONCodec.encodeSorted(JSONValue.object(fields))
            text.removeLast()
            client.send(text + ",\"payload\":" + String(decoding: message.payload, as: UTF8.self) + "}")
        } else {
            client.send(binary: Array(JSONCodec.encodeSorted(JSONValue.object(fields)).utf8) + [0x0A] + message.payload)
        }
        let isAnswer: @Sendable (WSTestClient.Received) -> Bool = {
            request
                ? ($0.op == "response" && $0.string("id") == "r1")
                : (["ack", "nack"].contains($0.op) && $0.string("ack") == "a1")
        }
        let raced = await Self.beforeClose(of: client, timeout: .seconds(40)) {
            await client.first(timeout: .seconds(40), where: isAnswer)
        }
        defer { Task { await client.close() } }
        // An answer written just before a close may lose the race to the close's waiter.
        guard let answer = raced ?? client.messages.first(where: isAnswer) else {
            guard client.isClosed else { throw WSTestError("no answer from the adapter") }
            let code = await client.closeCode() ?? 1006
            return ConformanceOutcome(
                status: WebSocketStatusMapping.status(forClose: code), tooLarge: code == 1009,
                detail: "close \(code) \(client.closeReason ?? "")")
        }
        let status = answer.string("status").flatMap(Status.init(rawValue:)) ?? .error
        var payload: [UInt8] = []
        if let text = answer.text {
            let bytes = Array(text.utf8)
            if let range = JSONMembers.raw(of: "payload", in: bytes) { payload = Array(bytes[range]) }
        } else if let binary = answer.binary, let newline = binary.firstIndex(of: 0x0A) {
            payload = Array(binary[(newline + 1)...])
        }
        return ConformanceOutcome(
            status: status, payload: payload, correlationID: answer.string("correlation_id"),
            detail: "\(answer.op ?? "?") frame\(answer.string("error").map { ": \($0)" } ?? "")")
    }
}
