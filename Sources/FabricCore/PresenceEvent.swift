import Foundation

/// A client session starting or ending at an adapter instance: the contract between
/// adapters and the delivery service (`fabric.presence.connect|disconnect`, JSON body).
///
/// ```json
/// {"client":"alice~~tab1","principal":"alice","instance":"ws-1","protocol":"ws",
///  "session":"01J9Z3…","last_sequence":42,"time":1718000000000}
/// ```
///
/// `last_sequence` is the highest `FABRIC_OUTBOX` sequence the client has acknowledged
/// (0 when it has seen none): on connect, delivery resumes after it; on disconnect, it
/// is what the adapter saw acknowledged. `docs/delivery.md` has the whole contract.
public struct PresenceEvent: Sendable, Hashable, Codable {
    /// Connect or disconnect, from the subject.
    public enum Kind: String, Sendable, Hashable, CaseIterable, Codable {
        /// The session started (the adapter already subscribes to its client subject).
        case connect
        /// The session ended.
        case disconnect

        /// The subject events of this kind are published to.
        public var subject: String {
            switch self {
            case .connect: FabricNames.Subject.presenceConnect
            case .disconnect: FabricNames.Subject.presenceDisconnect
            }
        }
    }

    /// Client id (the subject token of principal and session id).
    public var client: String
    /// Verified principal.
    public var principal: String
    /// Adapter instance holding the session.
    public var instance: String
    /// Protocol of the session (`ws`, `mqtt`, `grpc`, `h2`, `http`).
    public var `protocol`: String
    /// The adapter's unique id for this connection: tells one session from the next.
    public var session: String
    /// Highest outbox sequence the client acknowledged; 0 when none.
    public var lastSequence: UInt64
    /// When it happened, milliseconds since the Unix epoch.
    public var time: UInt64

    /// Whether this event's session started after `held`: session ids are time-sortable
    /// `FabricID`s, so the connect of an older session is a late announcement (still in
    /// flight when a newer connection opened), never a takeover.
    public func isNewer(than held: String) -> Bool { session > held }

    /// Whether this event's session started before `held` (a late announcement).
    public func isOlder(than held: String) -> Bool { session < held }

    enum CodingKeys: String, CodingKey {
        case client, principal, instance, `protocol`, session
        case lastSequence = "last_sequence"
        case time
    }

    /// Creates an event.
    public init(
        client: String, principal: String, instance: String, protocol: String, session: String, lastSequence: UInt64,
        time: UInt64 = WallClock.nowMillis()
    ) {
        self.client = client
        self.principal = principal
        self.instance = instance
        self.protocol = `protocol`
        self.session = session
        self.lastSequence = lastSequence
        self.time = time
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        client = try container.decode(String.self, forKey: .client)
        principal = try container.decode(String.self, forKey: .principal)
        instance = try container.decode(String.self, forKey: .instance)
        `protocol` = try container.decode(String.self, forKey: .protocol)
        session = try container.decode(String.self, forKey: .session)
        lastSequence = try container.decodeIfPresent(UInt64.self, forKey: .lastSequence) ?? 0
        time = try container.decodeIfPresent(UInt64.self, forKey: .time) ?? 0
    }

    /// The JSON body, keys sorted.
    public var json: [UInt8] { Array(JSONCodec.encodeSorted(self).utf8) }

    /// Reads and checks an event body; the client id must be one subject token.
    public static func decode(_ body: some Collection<UInt8>) throws(ValidationError) -> PresenceEvent {
        let event: PresenceEvent
        do {
            event = try JSONDecoder().decode(PresenceEvent.self, from: Data(body))
        } catch {
            throw ValidationError(path: "presence", reason: "not a presence event: \(error)")
        }
        guard SubjectToken.isSubjectSafe(Substring(event.client)) else {
            throw ValidationError(path: "presence.client", reason: "'\(event.client)' is not a subject token")
        }
        guard !event.session.isEmpty else { throw ValidationError(path: "presence.session", reason: "may not be empty") }
        return event
    }
}
