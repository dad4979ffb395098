import FabricCore
import FabricNATS
import Metrics

/// What a handler can do besides answering: publish to clients, topics and users, and
/// queue at-least-once messages for a client in the outbox.
public struct ServiceContext: Sendable {
    let connection: NATSConnection
    let jetStream: JetStream
    let serviceName: String
    /// The request being handled (its correlation id and trace carry over).
    public let request: ServiceRequest

    private func envelope(type: String, payload: [UInt8], topic: String? = nil) throws(ValidationError) -> Envelope {
        try MessageType.validate(type)
        var envelope = Envelope(type: type, source: .internal, payload: payload)
        envelope.correlationID = request.envelope.correlationID
        envelope.traceparent = request.envelope.traceparent.map { TraceParent.child(of: $0) }
        envelope.topic = topic
        envelope.extra.add("fabric-service", serviceName)
        return envelope
    }

    /// An at-most-once message to one client session (`fabric.out.client.<id>`).
    public func publish(toClient clientID: String, type: String, payload: [UInt8]) throws {
        let message = try envelope(type: type, payload: payload)
        try connection.publish(FabricNames.Subject.outClient(clientID), headers: message.headers, payload: payload)
    }

    /// A message to every subscriber of `topic` (`fabric.out.topic.<t>`).
    public func publish(toTopic topic: String, type: String, payload: [UInt8]) throws {
        let parsed = try Topic(topic)
        let message = try envelope(type: type, payload: payload, topic: topic)
        try connection.publish(FabricNames.Subject.outTopic(parsed), headers: message.headers, payload: payload)
    }

    /// A message to every session of a principal (`fabric.out.user.<principal>`).
    public func publish(toUser principal: String, type: String, payload: [UInt8]) throws {
        let message = try envelope(type: type, payload: payload)
        try connection.publish(FabricNames.Subject.outUser(principal: principal), headers: message.headers, payload: payload)
    }

    /// An at-least-once message to a client, kept in `FABRIC_OUTBOX` until delivered;
    /// returns its outbox sequence once stored.
    ///
    /// Throws `OutboxFullError` (counted in `fabric_service_outbox_full_total`) when the
    /// client already has `jetstream.outbox.max_per_client` messages waiting.
    @discardableResult
    public func outbox(toClient clientID: String, type: String, payload: [UInt8]) async throws -> UInt64 {
        let message = try envelope(type: type, payload: payload)
        do {
            let ack = try await jetStream.publish(
                FabricNames.Subject.outbox(clientID: clientID), headers: message.headers, payload: payload,
                messageID: message.id, expectedStream: FabricNames.Stream.outbox)
            return ack.sequence
        } catch  where error.message.contains("maximum messages per subject") {
            Counter(label: "fabric_service_outbox_full_total", dimensions: [("service", serviceName)]).increment()
            throw OutboxFullError(clientID: clientID)
        }
    }
}
