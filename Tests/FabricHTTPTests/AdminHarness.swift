import FabricConformance
import FabricCore
import FabricHTTP
import FabricObservability
import Foundation
import Logging

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An admin listener with the control API of one adapter, on a free port.
struct AdminHarness: Sendable {
    let server: AdminServer
    private let ports = Waiting<Int>()
    private let bound = PortBox()

    init(http: HTTPTestAdapter, token: String?) async throws {
        let yaml = "admin: { port: 0" + (token.map { ", token: \($0)" } ?? "") + " }"
        let config = try FabricConfig(reader: ConfigReader.parse(yaml: yaml)).admin
        guard let api = http.adapter.controlAPI(token: config.token) else { throw HTTPTestError("no control API") }
        let ports = self.ports
        let bound = self.bound
        server = AdminServer(
            config: config, registry: TestMetrics.registry, readiness: http.readiness, logger: Logger(label: "admin-test"),
            routes: api.adminRoutes,
            onListening: { port in
                bound.set(port)
                ports.offer(port)
            })
    }

    func url() async throws -> String {
        let port = await ports.wait(timeout: .seconds(30), current: { [bound] in bound.get() }, matches: { _ in true })
        guard let port else { throw HTTPTestError("the admin listener never bound") }
        return "http://127.0.0.1:\(port)\(PriorityControlAPI.path)"
    }

    func get(authorization: String?) async throws -> (status: Int, body: String) {
        try await request("GET", body: nil, authorization: authorization)
    }

    /// Writes a table and returns its revision.
    func put(_ table: String) async throws -> UInt64 {
        let reply = try await request("PUT", body: table, authorization: "Bearer s3cret")
        guard reply.status == 200, case .object(let members)? = JSONCodec.parse(reply.body),
            case .number(let revision)? = members["revision"]
        else { throw HTTPTestError("PUT \(PriorityControlAPI.path): \(reply.status) \(reply.body)") }
        return UInt64(revision)
    }

    func request(_ method: String, body: String?, authorization: String?) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: URL(string: try await url())!)
        request.httpMethod = method
        request.timeoutInterval = 30
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        if let body { request.httpBody = Data(body.utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }
}
