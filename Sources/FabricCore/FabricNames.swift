/// Every subject, stream, bucket, key and queue group the fabric uses, in one place.
///
/// Arbitrary strings (principals, client ids, topics) enter subjects only through
/// `SubjectToken`; types and service names are validated to be subject-safe already.
public enum FabricNames {
    /// Root of every fabric subject.
    public static let root = "fabric"

    /// Subjects of the message flow.
    public enum Subject {
        /// Adapters publish envelopes here.
        public static func inbound(type: String) -> String { "fabric.in.\(type)" }
        /// What routers subscribe to.
        public static let inboundAll = "fabric.in.>"
        /// Prefix of inbound subjects, stripped to get the type.
        public static let inboundPrefix = "fabric.in."

        /// A backend service, optionally one of its partitions.
        public static func service(_ name: String, partition: Int? = nil) -> String {
            if let partition { return "fabric.svc.\(name).\(partition)" }
            return "fabric.svc.\(name)"
        }

        /// Work stored for at-least-once delivery to a service.
        public static func work(service: String) -> String { "fabric.work.\(service)" }
        /// Prefix of work subjects, stripped to get the service.
        public static let workPrefix = "fabric.work."
        /// All work subjects (the `FABRIC_WORK` stream).
        public static let workAll = "fabric.work.>"

        /// Dead letters of a service.
        public static func deadLetter(service: String) -> String { "fabric.dlq.\(service)" }
        /// Prefix of dead-letter subjects, stripped to get the service.
        public static let deadLetterPrefix = "fabric.dlq."
        /// All dead letters (the `FABRIC_DLQ` stream).
        public static let deadLetterAll = "fabric.dlq.>"

        /// Messages for one client session (its adapter instance subscribes).
        public static func outClient(_ clientID: String) -> String { "fabric.out.client.\(clientID)" }
        /// Prefix of client subjects.
        public static let outClientPrefix = "fabric.out.client."
        /// Messages for every session of a principal.
        public static func outUser(principal: String) -> String { "fabric.out.user.\(SubjectToken.encode(principal))" }
        /// Messages to a topic.
        public static func outTopic(_ topic: Topic) -> String { "fabric.out.topic.\(topic.subjectSuffix)" }
        /// Prefix of topic subjects.
        public static let outTopicPrefix = "fabric.out.topic."
        /// The subscription patterns for a topic filter.
        public static func outTopic(filter: TopicFilter) -> [String] {
            filter.subjectSuffixes.map { "fabric.out.topic.\($0)" }
        }

        /// At-least-once messages for a client, stored in `FABRIC_OUTBOX`.
        public static func outbox(clientID: String) -> String { "fabric.outbox.client.\(clientID)" }
        /// Prefix of outbox subjects.
        public static let outboxPrefix = "fabric.outbox.client."
        /// All outbox subjects (the `FABRIC_OUTBOX` stream).
        public static let outboxAll = "fabric.outbox.client.*"

        /// A client connected.
        public static let presenceConnect = "fabric.presence.connect"
        /// A client disconnected.
        public static let presenceDisconnect = "fabric.presence.disconnect"
        /// Both presence events.
        public static let presenceAll = "fabric.presence.*"

        /// The first-failure record of one stored work message (`FABRIC_FAILURES`).
        public static func failure(service: String, sequence: UInt64) -> String { "fabric.failures.\(service).\(sequence)" }
        /// All first-failure records.
        public static let failuresAll = "fabric.failures.>"
    }

    /// JetStream streams.
    public enum Stream {
        /// At-least-once work (work-queue retention).
        public static let work = "FABRIC_WORK"
        /// Dead letters (long retention).
        public static let deadLetter = "FABRIC_DLQ"
        /// Queued messages for clients, per-client subjects.
        public static let outbox = "FABRIC_OUTBOX"
        /// When each failing work message first failed (delivery's bookkeeping).
        public static let failures = "FABRIC_FAILURES"
    }

    /// Key-value buckets.
    public enum Bucket {
        /// Routes and priorities; every instance watches it.
        public static let config = "fabric-config"
        /// Edge cache of idempotent answers.
        public static let cache = "fabric-cache"
    }

    /// Keys in `fabric-config`.
    public enum ConfigKey {
        /// The routing rules (YAML).
        public static let routes = "routes"
        /// The shedding priority table (YAML).
        public static let priorities = "priorities"
    }

    /// Queue groups.
    public enum QueueGroup {
        /// Every router instance.
        public static let router = "fabric-router"
        /// Every instance of a backend service.
        public static func service(_ name: String) -> String { "fabric-svc-\(name)" }
        /// Every delivery instance (presence events and outbox hints, once per group).
        public static let delivery = "fabric-delivery"
    }

    /// Durable consumer name of a service's work in `FABRIC_WORK`.
    public static func workConsumer(service: String) -> String { "work-\(service)" }

    /// A client id: the token of (principal, client-chosen session id).
    public static func clientID(principal: String, session: String) -> String {
        SubjectToken.join([principal, session])
    }

    /// The (principal, session) a client id was made of.
    public static func parseClientID(_ clientID: String) throws(ValidationError) -> (principal: String, session: String) {
        let parts = try SubjectToken.split(clientID)
        guard parts.count == 2 else {
            throw ValidationError(path: clientID, reason: "a client id has two parts, principal and session")
        }
        return (parts[0], parts[1])
    }
}
