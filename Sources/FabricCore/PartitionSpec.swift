/// How a route spreads messages over `fabric.svc.<service>.<n>`.
public struct PartitionSpec: Sendable, Hashable {
    /// What the partition key is taken from.
    public enum Key: Sendable, Hashable, CustomStringConvertible {
        /// The verified principal.
        case principal
        /// The client id.
        case client
        /// The tenant.
        case tenant
        /// The message type.
        case type
        /// The topic.
        case topic
        /// A header (name lower-cased).
        case header(String)
        /// A payload field.
        case payload(JSONPointer)

        /// Parses `principal`, `client`, `tenant`, `type`, `topic`, `header:<name>`, `payload:</pointer>`.
        public init(_ text: String) throws(ValidationError) {
            switch text {
            case "principal": self = .principal
            case "client": self = .client
            case "tenant": self = .tenant
            case "type": self = .type
            case "topic": self = .topic
            default:
                if text.hasPrefix("header:"), text.count > 7 {
                    self = .header(String(text.dropFirst(7)).lowercased())
                } else if text.hasPrefix("payload:") {
                    self = .payload(try JSONPointer(String(text.dropFirst(8))))
                } else {
                    throw ValidationError(
                        path: text,
                        reason: "a partition key is principal, client, tenant, type, topic, header:<name> or payload:</pointer>")
                }
            }
        }

        public var description: String {
            switch self {
            case .principal: "principal"
            case .client: "client"
            case .tenant: "tenant"
            case .type: "type"
            case .topic: "topic"
            case .header(let name): "header:\(name)"
            case .payload(let pointer): "payload:\(pointer)"
            }
        }
    }

    /// Where the key comes from.
    public var key: Key
    /// Number of partitions (1–1024).
    public var count: Int

    /// Creates a specification.
    public init(key: Key, count: Int) {
        self.key = key
        self.count = count
    }

    /// The partition of a message; a message without the key goes to the partition of
    /// the empty key, the same one every time.
    public func partition(for input: inout RoutingInput) -> Int {
        let value: String
        switch key {
        case .principal: value = input.principal ?? ""
        case .client: value = input.client ?? ""
        case .tenant: value = input.tenant ?? ""
        case .type: value = input.type
        case .topic: value = input.topic ?? ""
        case .header(let name): value = input.headers[name] ?? ""
        case .payload(let pointer):
            switch input.payloadValue?.value(at: pointer) {
            case .string(let text)?: value = text
            case let other?: value = other.compactText
            case nil: value = ""
            }
        }
        return JumpHash.bucket(value, buckets: count)
    }
}
