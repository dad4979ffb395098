import FabricCore
import Foundation

/// The claim checks and the mapping onto `Claims`, done after the signature verified.
///
/// Pure: the time is passed in, so every rule is tested without a clock or a key.
struct ClaimRules: Sendable {
    /// Claims that only serve verification; they are not forwarded as other claims.
    static let verificationOnly: Set<String> = ["exp", "nbf", "iat"]

    let config: AuthConfig

    /// Checks `payload` at time `now` and maps it onto `Claims`.
    func claims(from payload: [String: JSONValue], now: Date) throws(AuthError) -> Claims {
        let nowSeconds = now.timeIntervalSince1970
        let leeway = config.leeway.inSeconds
        if let exp = try time("exp", in: payload) {
            // RFC 7519 §4.1.4: the current time must be before exp.
            if nowSeconds >= exp + leeway { throw AuthError(.expired, reason: "token expired at \(Int(exp))") }
        } else if config.requireExpiry {
            throw AuthError(.missingClaim, reason: "token has no exp")
        }
        if let nbf = try time("nbf", in: payload), nowSeconds + leeway < nbf {
            throw AuthError(.notYetValid, reason: "token is not valid before \(Int(nbf))")
        }
        _ = try time("iat", in: payload)
        if let issuer = config.issuer {
            guard case .string(let iss)? = payload["iss"], iss == issuer else {
                throw AuthError(.wrongIssuer, reason: "iss is not '\(issuer)'")
            }
        }
        if !config.audience.isEmpty {
            let audiences: [String]
            switch payload["aud"] {
            case .string(let one)?: audiences = [one]
            case .array(let many)?: audiences = many.compactMap(\.stringValue)
            default: audiences = []
            }
            guard audiences.contains(where: config.audience.contains) else {
                throw AuthError(.wrongAudience, reason: "aud names none of \(config.audience.joined(separator: ", "))")
            }
        }
        for name in config.requiredClaims where payload[name] == nil || payload[name] == .null {
            throw AuthError(.missingClaim, reason: "token has no \(name)")
        }

        let names = config.claims
        guard let principalValue = payload[names.principal], principalValue != .null else {
            throw AuthError(.missingClaim, reason: "token has no \(names.principal) (the principal)")
        }
        guard case .string(let principal) = principalValue, !principal.isEmpty else {
            throw AuthError(.invalidClaim, reason: "\(names.principal) (the principal) is not a non-empty string")
        }
        try ClaimRules.checkHeaderSafe(principal, claim: names.principal)
        let roles = try self.roles(payload[names.roles])
        var tenant: String?
        switch payload[names.tenant] {
        case nil, .null?: tenant = nil
        case .string(let value)? where !value.isEmpty:
            try ClaimRules.checkHeaderSafe(value, claim: names.tenant)
            tenant = value
        default: throw AuthError(.invalidClaim, reason: "\(names.tenant) (the tenant) is not a non-empty string")
        }
        let mapped: Set<String> = [names.principal, names.roles, names.tenant]
        let other = payload.filter { !mapped.contains($0.key) && !ClaimRules.verificationOnly.contains($0.key) }
        return Claims(principal: principal, roles: roles, tenant: tenant, other: other)
    }

    /// A NumericDate claim (seconds since the epoch), nil when absent.
    private func time(_ name: String, in payload: [String: JSONValue]) throws(AuthError) -> Double? {
        switch payload[name] {
        case nil: return nil
        case .number(let seconds)?: return seconds
        default: throw AuthError(.invalidClaim, reason: "\(name) is not a number of seconds")
        }
    }

    /// Roles from an array of strings or one string separated by spaces or commas.
    private func roles(_ value: JSONValue?) throws(AuthError) -> [String] {
        let claim = config.claims.roles
        var names: [String] = []
        switch value {
        case nil, .null?:
            return []
        case .string(let text)?:
            names = text.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        case .array(let items)?:
            for item in items {
                guard case .string(let role) = item else {
                    throw AuthError(.invalidClaim, reason: "\(claim) has an item that is not a string")
                }
                // Roles travel comma-separated in Fabric-Roles; a comma would split one role in two.
                guard !role.contains(",") else {
                    throw AuthError(.invalidClaim, reason: "\(claim) has a role with a comma")
                }
                if !role.isEmpty { names.append(role) }
            }
        default:
            throw AuthError(.invalidClaim, reason: "\(claim) is neither a list of strings nor a string")
        }
        var unique: [String] = []
        for role in names where !unique.contains(role) {
            try ClaimRules.checkHeaderSafe(role, claim: claim)
            unique.append(role)
        }
        return unique
    }

    /// Refuses control characters: these values become NATS header values, where a line
    /// break would forge another header.
    private static func checkHeaderSafe(_ value: String, claim: String) throws(AuthError) {
        if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw AuthError(.invalidClaim, reason: "\(claim) has control characters")
        }
    }
}
