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

        /// The answer's JSON, the members `Codable` gives in the same shape (nil ones left out),
        /// written by `JSONWriter`: Foundation's encoder was the largest cost of an echo.
        public var json: [UInt8] {
            var writer = JSONWriter(capacity: 512)
            writer.beginObject()
            if let attempt {
                writer.member("attempt")
                writer.write(number: Double(attempt))
            }
            writer.member("claims")
            writer.write(.object(claims))
            writer.member("headers")
            writer.write(strings: headers)
            if let partition {
                writer.member("partition")
                writer.write(number: Double(partition))
            }
            writer.member("payload")
            writer.write(payload)
            if let principal {
                writer.member("principal")
                writer.write(string: principal)
            }
            writer.member("roles")
            writer.write(.array(roles.map(JSONValue.string)))
            if let routesVersion {
                writer.member("routesVersion")
                writer.write(string: routesVersion)
            }
            writer.member("subject")
            writer.write(string: subject)
            if let tenant {
                writer.member("tenant")
                writer.write(string: tenant)
            }
            writer.member("type")
            writer.write(string: type)
            writer.endObject()
            return writer.bytes
        }
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
            return .ok(echo.json, contentType: "application/json")
        }
        return service
    }
}
