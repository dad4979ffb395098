/// Verified identity of a caller, forwarded in place of the raw token.
///
/// Only an adapter that checked a token creates these; the fabric never sees the token.
public struct Claims: Sendable, Hashable {
    /// The principal (JWT `sub` unless configured otherwise).
    public var principal: String
    /// Roles granted to the principal.
    public var roles: [String]
    /// Tenant, when the deployment is multi-tenant.
    public var tenant: String?
    /// Every other verified claim, as compact JSON (`Fabric-Claims`), parsed on demand.
    public var otherJSON: String?

    /// Creates claims.
    public init(principal: String, roles: [String] = [], tenant: String? = nil, otherJSON: String? = nil) {
        self.principal = principal
        self.roles = roles
        self.tenant = tenant
        self.otherJSON = otherJSON
    }

    /// Creates claims with extra claims encoded as compact JSON with sorted keys.
    public init(principal: String, roles: [String] = [], tenant: String? = nil, other: [String: JSONValue]) {
        self.init(
            principal: principal, roles: roles, tenant: tenant, otherJSON: other.isEmpty ? nil : JSONCodec.encodeSorted(other))
    }

    /// The extra claims; empty when there are none.
    public func other() throws(ValidationError) -> [String: JSONValue] {
        guard let otherJSON else { return [:] }
        guard case .object(let members)? = JSONCodec.parse(otherJSON) else {
            throw ValidationError(path: HeaderName.claims, reason: "not a JSON object")
        }
        return members
    }

    /// Value of any claim by name: `sub`/`principal`, `roles`, `tenant`, or an extra claim.
    public func value(of name: String) -> JSONValue? {
        switch name {
        case "principal", "sub": return .string(principal)
        case "roles": return .array(roles.map(JSONValue.string))
        case "tenant": return tenant.map(JSONValue.string)
        default: return (try? other())?[name]
        }
    }
}
