import FabricCore
import JWTKit

/// A JWT payload as its raw JSON members, for jwt-kit to decode after the signature checks.
///
/// `verify(using:)` checks nothing: `ClaimRules` does every claim check afterwards, with
/// the configured leeway and names and with typed reasons, which jwt-kit's claim types
/// cannot give.
struct JWTClaimSet: JWTPayload {
    /// Every member of the payload object.
    var members: [String: JSONValue]

    init(_ members: [String: JSONValue]) { self.members = members }

    init(from decoder: any Decoder) throws {
        members = try [String: JSONValue](from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        try members.encode(to: encoder)
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
