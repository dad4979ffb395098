import FabricCore
import Foundation

/// An immutable table of verification keys read from one JWKS document, each pinned to
/// exactly one algorithm.
///
/// A strict load (a JWKS file the operator wrote) refuses the whole set for one bad key;
/// a lenient load (a JWKS URL, where an identity provider may publish keys of algorithms
/// we do not use) leaves the bad key out and reports it in `refused`.
public struct KeySet: Sendable {
    /// A set with no keys.
    public static let empty = KeySet(keys: [:], refused: [])

    private let keys: [String: VerificationKey]
    /// Keys left out by a lenient load, each with the reason.
    public let refused: [ValidationError]

    private init(keys: [String: VerificationKey], refused: [ValidationError]) {
        self.keys = keys
        self.refused = refused
    }

    /// Every `kid`, sorted.
    public var keyIDs: [String] { keys.keys.sorted() }

    /// Number of usable keys.
    public var count: Int { keys.count }

    /// The algorithm the key `kid` is pinned to, or nil when there is no such key.
    public func algorithm(forKeyID kid: String) -> SigningAlgorithm? { keys[kid]?.algorithm }

    func key(_ kid: String) -> VerificationKey? { keys[kid] }

    /// The only key, when there is exactly one.
    var soleKey: VerificationKey? { keys.count == 1 ? keys.first?.value : nil }

    /// Reads a JWKS document (`{"keys": [...]}`) under the rules of `config`.
    ///
    /// - Parameters:
    ///   - source: file name or URL, for error messages.
    ///   - strict: refuse the whole set for one bad key (true) or leave it out (false).
    public init(
        jwks: some Collection<UInt8>, source: String, config: AuthConfig, strict: Bool
    ) async throws(ValidationError) {
        guard case .object(let document)? = JSONCodec.parse(jwks) else {
            throw ValidationError(path: source, reason: "is not a JSON object (a JWKS is {\"keys\": [...]})")
        }
        guard case .array(let entries)? = document["keys"] else {
            throw ValidationError(path: source, reason: "has no keys array")
        }
        var keys: [String: VerificationKey] = [:]
        var refused: [ValidationError] = []
        for (index, entry) in entries.enumerated() {
            do throws(ValidationError) {
                let jwk = try JSONWebKey(
                    entry, index: index, source: source, allowed: config.allowedAlgorithms,
                    keyAlgorithms: config.keyAlgorithms)
                let path = "\(source) keys[\(index)] (kid '\(jwk.keyID)')"
                // Two keys under one kid would make the choice of key ambiguous.
                guard keys[jwk.keyID] == nil else { throw ValidationError(path: path, reason: "kid appears twice") }
                keys[jwk.keyID] = try await VerificationKey(jwk, path: path)
            } catch {
                if strict { throw error }
                refused.append(error)
            }
        }
        guard !keys.isEmpty else {
            throw ValidationError(
                path: source,
                reason: refused.isEmpty
                    ? "has no keys" : "has no usable key (\(refused.map(\.description).joined(separator: "; ")))"
            )
        }
        self.init(keys: keys, refused: refused)
    }

    /// Reads a JWKS file strictly.
    public static func load(file: String, config: AuthConfig) async throws(ValidationError) -> KeySet {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError(path: file, reason: "cannot read the JWKS file")
        }
        return try await KeySet(jwks: [UInt8](data), source: file, config: config, strict: true)
    }
}
