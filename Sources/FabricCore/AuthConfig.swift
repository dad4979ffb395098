/// `auth:` — how adapters verify JWTs and where the development signing key lives.
///
/// `docs/auth.md` explains verification; `docs/configuration.md` lists every key.
public struct AuthConfig: Sendable, Hashable {
    /// `auth.claims:` — which JWT claims become the principal, the roles and the tenant.
    public struct ClaimNames: Sendable, Hashable {
        /// Claim holding the principal (default `sub`).
        public var principal: String
        /// Claim holding the roles: an array of strings or one space/comma separated string.
        public var roles: String
        /// Claim holding the tenant.
        public var tenant: String

        /// Creates claim names.
        public init(principal: String = "sub", roles: String = "roles", tenant: String = "tenant") {
            self.principal = principal
            self.roles = roles
            self.tenant = tenant
        }
    }

    /// File name of the development key inside the data directory.
    public static let developmentKeyFileName = "dev-jwks.json"

    /// JWKS file with the verification keys.
    public var jwksFile: String?
    /// JWKS URL (https, or http on a loopback address) with the verification keys.
    public var jwksURL: String?
    /// How often the JWKS URL is fetched again.
    public var jwksRefresh: Duration
    /// Least time between two fetches of the JWKS URL when tokens name an unknown `kid`.
    public var jwksMinInterval: Duration
    /// Time limit of one JWKS fetch.
    public var jwksTimeout: Duration
    /// Required `iss`; nil accepts any issuer.
    public var issuer: String?
    /// Accepted `aud` values (a token must name at least one); empty accepts any audience.
    public var audience: [String]
    /// Clock skew tolerated on `exp` and `nbf`.
    public var leeway: Duration
    /// Whether a token without `exp` is refused.
    public var requireExpiry: Bool
    /// Claims every token must carry (besides the principal claim, which is always required).
    public var requiredClaims: [String]
    /// Names of the mapped claims.
    public var claims: ClaimNames
    /// Algorithms accepted at all; a key pinned to another one is refused when loaded.
    public var allowedAlgorithms: [SigningAlgorithm]
    /// Algorithm for JWKs that carry no `alg`, by `kid`; `*` stands for any other kid.
    public var keyAlgorithms: [String: SigningAlgorithm]
    /// Development key file set explicitly; nil means `developmentKeyFileName` in the data directory.
    public var devKeyFile: String?

    /// True when verification keys come from a file or a URL rather than the development key.
    public var hasKeySource: Bool { jwksFile != nil || jwksURL != nil }

    /// The development key file: `dev_key_file`, or `dev-jwks.json` in `dataDirectory`.
    public func developmentKeyPath(dataDirectory: String) -> String {
        if let devKeyFile { return devKeyFile }
        return dataDirectory.hasSuffix("/")
            ? dataDirectory + AuthConfig.developmentKeyFileName : "\(dataDirectory)/\(AuthConfig.developmentKeyFileName)"
    }

    init(reader: ConfigReader) throws(ValidationError) {
        jwksFile = try reader.optionalString("jwks_file")
        if jwksFile?.isEmpty == true { throw reader.error("jwks_file", "must not be empty") }
        jwksURL = try reader.optionalString("jwks_url")
        if let jwksURL, let problem = AuthConfig.problem(withJWKSURL: jwksURL) { throw reader.error("jwks_url", problem) }
        jwksRefresh = try reader.duration("jwks_refresh", default: .seconds(300), minimum: .seconds(1))
        jwksMinInterval = try reader.duration("jwks_min_interval", default: .seconds(30))
        jwksTimeout = try reader.duration("jwks_timeout", default: .seconds(5), minimum: .milliseconds(10))
        issuer = try reader.optionalString("issuer")
        if issuer?.isEmpty == true { throw reader.error("issuer", "must not be empty (leave it out to accept any issuer)") }
        audience = try reader.strings("audience", default: [])
        leeway = try reader.duration("leeway", default: .seconds(30))
        // Leeway is for clock skew; anything larger quietly extends every token's life.
        if leeway > .seconds(600) { throw reader.error("leeway", "must be at most 10m (it is for clock skew)") }
        requireExpiry = try reader.bool("require_exp", default: true)
        requiredClaims = try reader.strings("required_claims", default: [])
        if requiredClaims.contains(where: \.isEmpty) { throw reader.error("required_claims", "claim names must not be empty") }
        claims = try AuthConfig.readClaimNames(reader.section("claims"))
        allowedAlgorithms = try AuthConfig.readAlgorithms(reader)
        keyAlgorithms = try AuthConfig.readKeyAlgorithms(reader.section("key_algorithms"), allowed: allowedAlgorithms)
        devKeyFile = try reader.optionalString("dev_key_file")
        if devKeyFile?.isEmpty == true { throw reader.error("dev_key_file", "must not be empty") }
        try reader.finish()
    }

    private static func readClaimNames(_ reader: ConfigReader) throws(ValidationError) -> ClaimNames {
        let names = ClaimNames(
            principal: try reader.string("principal", default: "sub"), roles: try reader.string("roles", default: "roles"),
            tenant: try reader.string("tenant", default: "tenant"))
        for (key, value) in [("principal", names.principal), ("roles", names.roles), ("tenant", names.tenant)] where value.isEmpty
        {
            throw reader.error(key, "must not be empty")
        }
        // One claim cannot be two things: the mapping would be ambiguous.
        if names.roles == names.principal { throw reader.error("roles", "must differ from claims.principal") }
        if names.tenant == names.principal { throw reader.error("tenant", "must differ from claims.principal") }
        if names.tenant == names.roles { throw reader.error("tenant", "must differ from claims.roles") }
        try reader.finish()
        return names
    }

    private static func readAlgorithms(_ reader: ConfigReader) throws(ValidationError) -> [SigningAlgorithm] {
        let names = try reader.strings("allowed_algorithms", default: SigningAlgorithm.allCases.map(\.rawValue))
        guard !names.isEmpty else { throw reader.error("allowed_algorithms", "needs at least one algorithm") }
        var result: [SigningAlgorithm] = []
        for name in names {
            guard let algorithm = SigningAlgorithm(name: name) else {
                throw reader.error("allowed_algorithms", unsupported(name))
            }
            if !result.contains(algorithm) { result.append(algorithm) }
        }
        return result
    }

    private static func readKeyAlgorithms(
        _ reader: ConfigReader, allowed: [SigningAlgorithm]
    ) throws(ValidationError) -> [String: SigningAlgorithm] {
        var result: [String: SigningAlgorithm] = [:]
        for kid in reader.keys {
            guard let name = try reader.optionalString(kid) else { throw reader.error(kid, "needs an algorithm") }
            guard let algorithm = SigningAlgorithm(name: name) else { throw reader.error(kid, unsupported(name)) }
            guard allowed.contains(algorithm) else { throw reader.error(kid, "\(name) is not in auth.allowed_algorithms") }
            result[kid] = algorithm
        }
        try reader.finish()
        return result
    }

    static func unsupported(_ name: String) -> String {
        let supported = SigningAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
        if name.lowercased() == "none" { return "'\(name)' is never allowed (unsigned tokens)" }
        return "'\(name)' is not supported (\(supported))"
    }

    /// Why `url` may not serve keys (not https, and not http on a loopback address), or nil.
    public static func problem(withJWKSURL url: String) -> String? {
        let lowered = url.lowercased()
        if lowered.hasPrefix("https://") { return url.count > "https://".count ? nil : "has no host" }
        guard lowered.hasPrefix("http://") else { return "'\(url)' must start with https://" }
        // Keys fetched in clear text could be swapped on the way; only the local machine is trusted.
        let rest = lowered.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host: Substring
        if authority.hasPrefix("[") {
            host = authority.prefix { $0 != "]" }.dropFirst()
        } else {
            host = authority.prefix { $0 != ":" }
        }
        if host == "localhost" || host == "::1" || host.hasPrefix("127.") { return nil }
        return "'\(url)' must use https:// (http:// only on a loopback address)"
    }
}
