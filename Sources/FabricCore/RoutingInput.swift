/// What the router knows of a message when it matches rules.
///
/// Filled from the envelope's headers; the payload is parsed at most once, and only
/// when a candidate rule needs it.
public struct RoutingInput {
    /// Message type (from the subject).
    public var type: String
    /// Entry protocol.
    public var source: Source?
    /// Topic, MQTT syntax.
    public var topic: String?
    /// Verified principal.
    public var principal: String?
    /// Verified roles.
    public var roles: [String]
    /// Verified tenant.
    public var tenant: String?
    /// Other verified claims, compact JSON.
    public var claimsJSON: String?
    /// Client id.
    public var client: String?
    /// Client headers the rules look at, names lower-cased.
    public var headers: Headers
    /// Payload bytes.
    public var payload: [UInt8]

    private var parsedPayload: JSONValue??
    private var parsedClaims: [String: JSONValue]?

    /// Creates an input.
    public init(
        type: String, source: Source? = nil, topic: String? = nil, principal: String? = nil, roles: [String] = [],
        tenant: String? = nil, claimsJSON: String? = nil, client: String? = nil, headers: Headers = Headers(),
        payload: [UInt8] = []
    ) {
        self.type = type
        self.source = source
        self.topic = topic
        self.principal = principal
        self.roles = roles
        self.tenant = tenant
        self.claimsJSON = claimsJSON
        self.client = client
        self.headers = headers
        self.payload = payload
    }

    /// True once the payload has been parsed (for tests of "at most once, only when needed").
    public var payloadWasParsed: Bool { parsedPayload != nil }

    /// The payload as JSON, parsed on first use; nil when it is not JSON.
    public var payloadValue: JSONValue? {
        mutating get {
            if let parsedPayload { return parsedPayload }
            let value = payload.isEmpty ? nil : JSONCodec.parse(payload)
            parsedPayload = .some(value)
            return value
        }
    }

    /// A claim by name: `principal`/`sub`, `roles`, `tenant`, or any other verified claim.
    public mutating func claim(_ name: String) -> JSONValue? {
        switch name {
        case "principal", "sub": return principal.map(JSONValue.string)
        case "roles": return .array(roles.map(JSONValue.string))
        case "tenant": return tenant.map(JSONValue.string)
        default:
            if parsedClaims == nil {
                if let claimsJSON, case .object(let members)? = JSONCodec.parse(claimsJSON) {
                    parsedClaims = members
                } else {
                    parsedClaims = [:]
                }
            }
            return parsedClaims?[name]
        }
    }
}
