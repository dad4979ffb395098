import Crypto
import FabricCore
import FabricNATS
import FabricObservability
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The control API on the admin port: read and change the shedding priority table.
///
/// `GET /control/priorities` shows the table in force here; `PUT` (YAML or JSON) and
/// `DELETE` write key `priorities` of `fabric-config`, which every instance watches. Every
/// call needs `Authorization: Bearer <admin.token>`; without a configured token the API
/// is off (404), so an admin port is never writable by default.
public struct PriorityControlAPI: Sendable {
    /// Path of the table.
    public static let path = "/control/priorities"
    /// Largest table accepted.
    static let maxBody = 1 << 20

    let bucket: KeyValue
    let state: PriorityTableState
    let token: String?
    let logger: Logger

    /// Creates the API over the `fabric-config` bucket.
    public init(bucket: KeyValue, state: PriorityTableState, token: String?, logger: Logger) {
        self.bucket = bucket
        self.state = state
        self.token = token
        self.logger = logger
    }

    /// The routes, in the form the admin listener takes them.
    public var adminRoutes: AdminServer.Routes { { router in self.register(on: router) } }

    /// Adds the routes to the admin router.
    public func register(on router: Router<BasicRequestContext>) {
        router.get(RouterPath(stringLiteral: PriorityControlAPI.path)) { request, _ -> Response in
            if let refusal = self.refusal(request) { return refusal }
            return self.show()
        }
        router.put(RouterPath(stringLiteral: PriorityControlAPI.path)) { request, _ -> Response in
            if let refusal = self.refusal(request) { return refusal }
            var request = request
            let text: String
            do {
                text = String(buffer: try await request.collectBody(upTo: PriorityControlAPI.maxBody))
            } catch {
                return Self.answer(.contentTooLarge, ["error": .string("a priority table is at most 1 MiB")])
            }
            let table: PriorityTable
            do {
                table = try PriorityTable.parse(text)
            } catch {
                return Self.answer(.badRequest, ["error": .string("\(error)")])
            }
            do {
                let revision = try await self.bucket.put(FabricNames.ConfigKey.priorities, Array(table.json.utf8))
                self.logger.notice("priority table written", metadata: ["revision": "\(revision)"])
                return Self.answer(.ok, Self.describe(table, revision: revision))
            } catch {
                return Self.answer(.serviceUnavailable, ["error": .string("cannot write fabric-config: \(error)")])
            }
        }
        router.delete(RouterPath(stringLiteral: PriorityControlAPI.path)) { request, _ -> Response in
            if let refusal = self.refusal(request) { return refusal }
            do {
                try await self.bucket.delete(FabricNames.ConfigKey.priorities)
                return Self.answer(.ok, Self.describe(PriorityTable(), revision: nil))
            } catch {
                return Self.answer(.serviceUnavailable, ["error": .string("cannot write fabric-config: \(error)")])
            }
        }
    }

    private func show() -> Response {
        let (table, revision) = state.current
        return Self.answer(.ok, Self.describe(table, revision: revision))
    }

    /// Nil when the caller may use the API, else the answer that refuses it.
    private func refusal(_ request: Request) -> Response? {
        guard let token else {
            return Self.answer(.notFound, ["error": .string("the control API is off; set admin.token to turn it on")])
        }
        let given = request.headers[.authorization].flatMap { value -> String? in
            guard value.lowercased().hasPrefix("bearer ") else { return nil }
            return String(value.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        }
        guard let given, PriorityControlAPI.constantTimeEqual(given, token) else {
            var response = Self.answer(.unauthorized, ["error": .string("needs Authorization: Bearer <admin.token>")])
            response.headers[.wwwAuthenticate] = "Bearer realm=\"fabric-admin\""
            return response
        }
        return nil
    }

    /// Compares digests, so the time taken says nothing about how much of the token matched.
    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(SHA256.hash(data: Array(lhs.utf8)))
        let right = Array(SHA256.hash(data: Array(rhs.utf8)))
        return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func describe(_ table: PriorityTable, revision: UInt64?) -> [String: JSONValue] {
        var body: [String: JSONValue] = ["table": JSONCodec.parse(table.json) ?? .null]
        if let revision { body["revision"] = .number(Double(revision)) }
        return body
    }

    static func answer(_ status: HTTPResponse.Status, _ body: [String: JSONValue]) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: JSONCodec.encodeSorted(JSONValue.object(body)) + "\n")))
    }
}
