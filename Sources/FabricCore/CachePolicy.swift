/// How long an answer may be served from the edge cache and what it varies by.
///
/// Stamped by the router from the rule's `cache` into `Fabric-Cache`; the backend SDK
/// copies it onto the answer; adapters cache only answers that carry it.
public struct CachePolicy: Sendable, Hashable {
    /// Time to live of a cached answer.
    public var ttl: Duration
    /// Claims the cache key includes (`principal`, `tenant`, `roles`); empty = shared by all.
    public var vary: [String]

    /// What `vary` may name.
    public static let varyNames: Set<String> = ["principal", "tenant", "roles"]

    /// Creates a policy.
    public init(ttl: Duration, vary: [String] = ["principal"]) {
        self.ttl = ttl
        self.vary = vary
    }

    /// The `Fabric-Cache` header value.
    public var headerValue: String { "ttl=\(ttl.milliseconds)ms;vary=\(vary.joined(separator: ","))" }

    /// Parses a `Fabric-Cache` header value.
    public init(headerValue: String) throws(ValidationError) {
        var ttl: Duration?
        var vary = ["principal"]
        for (key, value) in try HeaderParameters.parse(headerValue, header: HeaderName.cache) {
            switch key {
            case "ttl": ttl = try Duration.parse(value)
            case "vary": vary = value.split(separator: ",").map { String($0.trimmingSpaces()) }
            default: continue  // Newer parameters are ignored by older roles on purpose.
            }
        }
        guard let ttl, ttl > .zero else { throw ValidationError(path: HeaderName.cache, reason: "needs a positive ttl") }
        for name in vary where !CachePolicy.varyNames.contains(name) {
            throw ValidationError(path: HeaderName.cache, reason: "cannot vary by '\(name)' (principal, tenant, roles)")
        }
        self.init(ttl: ttl, vary: vary)
    }
}
