import FabricCore
import FabricNATS
import FabricService
import Foundation

/// The `echo` example backend: answers every message with what it got, claims included.
public enum EchoBackend {
    /// What echo answers (JSON).
    public struct Echo: Codable, Sendable, Equatable {
        /// Message type.
        public var type: String
        /// Payload as JSON when it was JSON, else as text.
        public var payload: JSONValue
        /// Verified principal.
        public var principal: String?
        /// Verified roles.
        public var roles: [String]
        /// Verified tenant.
        public var tenant: String?
        /// Other claims.
        public var claims: [String: JSONValue]
        /// Attempt, for at-least-once deliveries.
        public var attempt: Int?
        /// Partition, when routed to one.
        public var partition: Int?
        /// Subject it arrived on.
        public var subject: String
        /// Headers it carried, except the fabric's own.
        public var headers: [String: String]
        /// Routes version that routed it.
        public var routesVersion: String?
    }

    /// Creates the service.
    public static func make(connection: NATSConnection, jetStream: JetStream, name: String = "echo") -> FabricService {
        let service = FabricService(name: name, connection: connection, jetStream: jetStream)
        // Answers without suspending: on the delivery thread, like a C responder.
        service.onImmediate(">") { request, _ in
            var headers: [String: String] = [:]
            for field in request.envelope.extra { headers[field.name] = field.value }
            let echo = Echo(
                type: request.type, payload: JSONCodec.parse(request.payload) ?? .string(request.text),
                principal: request.claims?.principal, roles: request.claims?.roles ?? [], tenant: request.claims?.tenant,
                claims: (try? request.claims?.other()) ?? [:], attempt: request.attempt, partition: request.partition,
                subject: request.subject, headers: headers, routesVersion: request.envelope.routesVersion)
            return try .ok(json: echo)
        }
        return service
    }
}
