import ArgumentParser
import FabricAuth
import FabricCore
import Foundation

/// `fabric token`: mints a development JWT and prints it on standard output.
///
/// Claim names, issuer and audience come from the `auth:` section, so the token passes
/// the configured verifier; the key is `--key`, or the development key that `fabric up`
/// uses (created here when absent).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Mint a development JWT signed with the configured key; prints it on stdout.")

    @Option(name: .long, help: "YAML configuration file (FABRIC_<SECTION>__<KEY> variables override it).")
    var config: String?

    @Option(name: .long, help: "The principal (written to the auth.claims.principal claim, default sub).")
    var sub: String

    @Option(name: .long, help: "Roles, comma separated (written as an array to auth.claims.roles).")
    var roles: String?

    @Option(name: .long, help: "Tenant (written to auth.claims.tenant).")
    var tenant: String?

    @Option(name: .long, help: "Lifetime, e.g. 15m, 1h, 7d.")
    var ttl: String = "1h"

    @Option(name: .long, help: "Extra claim name=value, repeatable; a value that is valid JSON is taken as JSON.")
    var claim: [String] = []

    @Option(name: .long, help: "JWKS file holding the private key (default: the development key).")
    var key: String?

    @Option(name: .long, help: "kid of the key to sign with, when the file holds several private keys.")
    var kid: String?

    @Option(name: .customLong("data-dir"), help: "Data directory whose development key to use (as fabric up --data-dir).")
    var dataDirectory: String?

    func run() async throws {
        let fabricConfig: FabricConfig
        do {
            fabricConfig = try FabricConfig.load(file: config)
        } catch {
            throw ValidationFailure(message: "configuration: \(error)")
        }
        let auth = fabricConfig.auth
        let lifetime: Duration
        do { lifetime = try Duration.parse(ttl) } catch { throw ValidationFailure(message: "--ttl: \(error.reason)") }
        guard lifetime > .zero else { throw ValidationFailure(message: "--ttl must be more than 0s") }

        let keyFile: String
        if let key {
            keyFile = key
        } else {
            keyFile = auth.developmentKeyPath(dataDirectory: dataDirectory ?? fabricConfig.up.dataDir)
            if auth.hasKeySource {
                Self.note(
                    "auth.jwks_file or auth.jwks_url is set: a token signed with the development key "
                        + "verifies only where that key is trusted")
            }
            do {
                if try DevelopmentKey.ensure(at: keyFile) { Self.note("created the development key \(keyFile)") }
            } catch {
                throw ValidationFailure(message: "\(error)")
            }
        }

        let claims = try payload(auth: auth, lifetime: lifetime)
        let signer: TokenSigner
        do {
            signer = try await TokenSigner.load(file: keyFile, keyID: kid, keyAlgorithms: auth.keyAlgorithms)
        } catch {
            throw ValidationFailure(message: "\(error)")
        }
        print(try await signer.sign(claims))
    }

    /// The payload: configured claim names, issuer and audience, then `--claim` on top.
    func payload(auth: AuthConfig, lifetime: Duration) throws -> [String: JSONValue] {
        let now = Date().timeIntervalSince1970.rounded(.down)
        var claims: [String: JSONValue] = [
            auth.claims.principal: .string(sub), "iat": .number(now), "exp": .number(now + lifetime.inSeconds.rounded(.up)),
        ]
        if let roles {
            let names = roles.split(separator: ",").map { String($0.trimmingCharacters(in: .whitespaces)) }.filter { !$0.isEmpty }
            claims[auth.claims.roles] = .array(names.map(JSONValue.string))
        }
        if let tenant { claims[auth.claims.tenant] = .string(tenant) }
        if let issuer = auth.issuer { claims["iss"] = .string(issuer) }
        if auth.audience.count == 1 {
            claims["aud"] = .string(auth.audience[0])
        } else if !auth.audience.isEmpty {
            claims["aud"] = .array(auth.audience.map(JSONValue.string))
        }
        for pair in claim {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationFailure(message: "--claim '\(pair)' is not name=value")
            }
            let text = String(pair[pair.index(after: equals)...])
            claims[String(pair[..<equals])] = JSONCodec.parse(text) ?? .string(text)
        }
        return claims
    }

    private static func note(_ text: String) {
        FileHandle.standardError.write(Data("note: \(text)\n".utf8))
    }
}
