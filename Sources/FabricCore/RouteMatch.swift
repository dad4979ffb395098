/// The conditions of a rule; every one that is present must hold.
public struct RouteMatch: Sendable, Hashable {
    /// Type pattern (NATS wildcards); nil matches every type.
    public var type: TypePattern?
    /// Entry protocols; empty matches all.
    public var sources: Set<Source>
    /// Topic filter (MQTT wildcards) on `Fabric-Topic`.
    public var topic: TopicFilter?
    /// Conditions on verified claims, by claim name.
    public var claims: [(name: String, condition: ValueCondition)]
    /// Conditions on client headers, by lower-cased name.
    public var headers: [(name: String, condition: ValueCondition)]
    /// Conditions on payload fields, by JSON Pointer.
    public var payload: [(pointer: JSONPointer, condition: ValueCondition)]

    /// Matches everything.
    public init() {
        sources = []
        claims = []
        headers = []
        payload = []
    }

    /// True when a payload field is looked at (the payload must be parsed).
    public var needsPayload: Bool { !payload.isEmpty }

    /// The first condition that fails, or nil when all hold; the type is not checked here
    /// (the index already did).
    public func firstFailure(_ input: inout RoutingInput) -> String? {
        if !sources.isEmpty {
            guard let source = input.source, sources.contains(source) else {
                return
                    "source \(input.source?.rawValue ?? "none") is not one of \(sources.map(\.rawValue).sorted().joined(separator: ", "))"
            }
        }
        if let topic {
            guard let name = input.topic, let parsed = try? Topic(name), topic.matches(parsed) else {
                return "topic \(input.topic ?? "none") does not match \(topic)"
            }
        }
        for (name, condition) in claims where !condition.matches(input.claim(name)) {
            return "claim \(name) = \(input.claim(name)?.compactText ?? "absent") fails \(condition)"
        }
        for (name, condition) in headers {
            let value = input.headers[name].map(JSONValue.string)
            if !condition.matches(value) { return "header \(name) = \(value?.compactText ?? "absent") fails \(condition)" }
        }
        for (pointer, condition) in payload {
            let value = input.payloadValue?.value(at: pointer)
            if !condition.matches(value) { return "payload \(pointer) = \(value?.compactText ?? "absent") fails \(condition)" }
        }
        return nil
    }

    public static func == (lhs: RouteMatch, rhs: RouteMatch) -> Bool {
        lhs.type == rhs.type && lhs.sources == rhs.sources && lhs.topic == rhs.topic
            && lhs.claims.elementsEqual(rhs.claims) { $0 == $1 } && lhs.headers.elementsEqual(rhs.headers) { $0 == $1 }
            && lhs.payload.elementsEqual(rhs.payload) { $0 == $1 }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        hasher.combine(sources)
        hasher.combine(topic)
        for (name, condition) in claims {
            hasher.combine(name)
            hasher.combine(condition)
        }
        for (name, condition) in headers {
            hasher.combine(name)
            hasher.combine(condition)
        }
        for (pointer, condition) in payload {
            hasher.combine(pointer)
            hasher.combine(condition)
        }
    }
}
