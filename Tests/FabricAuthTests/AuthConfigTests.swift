import FabricCore
import Testing

@Suite("auth configuration")
struct AuthConfigTests {
    @Test func defaults() throws {
        let config = try FabricConfig(reader: ConfigReader.parse(yaml: "")).auth
        #expect(config.jwksFile == nil)
        #expect(config.jwksURL == nil)
        #expect(!config.hasKeySource)
        #expect(config.jwksRefresh == .seconds(300))
        #expect(config.jwksMinInterval == .seconds(30))
        #expect(config.leeway == .seconds(30))
        #expect(config.requireExpiry)
        #expect(config.audience.isEmpty)
        #expect(config.claims == AuthConfig.ClaimNames(principal: "sub", roles: "roles", tenant: "tenant"))
        #expect(config.allowedAlgorithms == [.hs256, .rs256, .es256, .edDSA])
        #expect(config.developmentKeyPath(dataDirectory: ".fabric/data") == ".fabric/data/dev-jwks.json")
    }

    @Test func valuesAreRead() throws {
        let config = try FabricConfig(
            reader: ConfigReader.parse(
                yaml: """
                    auth:
                      jwks_file: /etc/fabric/jwks.json
                      jwks_url: https://idp.example/.well-known/jwks.json
                      jwks_refresh: 10m
                      jwks_min_interval: 1m
                      jwks_timeout: 2s
                      issuer: https://idp.example/
                      audience: [fabric, edge]
                      leeway: 5s
                      require_exp: false
                      required_claims: [email]
                      claims: { principal: email, roles: groups, tenant: org }
                      allowed_algorithms: [RS256, ES256]
                      key_algorithms: { "*": RS256, legacy: ES256 }
                      dev_key_file: /tmp/dev.json
                    """)
        ).auth
        #expect(config.jwksFile == "/etc/fabric/jwks.json")
        #expect(config.jwksURL == "https://idp.example/.well-known/jwks.json")
        #expect(config.jwksRefresh == .seconds(600))
        #expect(config.jwksMinInterval == .seconds(60))
        #expect(config.jwksTimeout == .seconds(2))
        #expect(config.issuer == "https://idp.example/")
        #expect(config.audience == ["fabric", "edge"])
        #expect(config.leeway == .seconds(5))
        #expect(!config.requireExpiry)
        #expect(config.requiredClaims == ["email"])
        #expect(config.claims == AuthConfig.ClaimNames(principal: "email", roles: "groups", tenant: "org"))
        #expect(config.allowedAlgorithms == [.rs256, .es256])
        #expect(config.keyAlgorithms == ["*": .rs256, "legacy": .es256])
        #expect(config.developmentKeyPath(dataDirectory: "/ignored") == "/tmp/dev.json")
    }

    @Test func environmentOverrides() throws {
        let config = try FabricConfig(
            reader: ConfigReader.parse(
                yaml: "", environment: ["FABRIC_AUTH__AUDIENCE": "a,b", "FABRIC_AUTH__CLAIMS__PRINCIPAL": "email"])
        ).auth
        #expect(config.audience == ["a", "b"])
        #expect(config.claims.principal == "email")
    }

    static let errors: [(String, String)] = [
        ("auth:\n  jwks_fil: x\n", "auth.jwks_fil: unknown key (line 2)"),
        ("auth:\n  jwks_url: ftp://x/keys\n", "auth.jwks_url: 'ftp://x/keys' must start with https:// (line 2)"),
        (
            "auth:\n  jwks_url: http://idp.example/keys\n",
            "auth.jwks_url: 'http://idp.example/keys' must use https:// (http:// only on a loopback address) (line 2)"
        ),
        (
            "auth:\n  allowed_algorithms: [RS256, none]\n",
            "auth.allowed_algorithms: 'none' is never allowed (unsigned tokens) (line 2)"
        ),
        (
            "auth:\n  allowed_algorithms: [HS512]\n",
            "auth.allowed_algorithms: 'HS512' is not supported (HS256, RS256, ES256, EdDSA) (line 2)"
        ),
        ("auth:\n  allowed_algorithms: []\n", "auth.allowed_algorithms: needs at least one algorithm (line 2)"),
        ("auth:\n  leeway: 1h\n", "auth.leeway: must be at most 10m (it is for clock skew) (line 2)"),
        ("auth:\n  jwks_refresh: 10ms\n", "auth.jwks_refresh: must be at least 1s (line 2)"),
        ("auth:\n  claims:\n    principal: roles\n", "auth.claims.roles: must differ from claims.principal (line 3)"),
        ("auth:\n  claims:\n    tennant: org\n", "auth.claims.tennant: unknown key (line 3)"),
        (
            "auth:\n  key_algorithms:\n    k1: rs256\n",
            "auth.key_algorithms.k1: 'rs256' is not supported (HS256, RS256, ES256, EdDSA) (line 3)"
        ),
        (
            "auth:\n  allowed_algorithms: [RS256]\n  key_algorithms: { k1: ES256 }\n",
            "auth.key_algorithms.k1: ES256 is not in auth.allowed_algorithms (line 3)"
        ),
        ("auth:\n  issuer: \"\"\n", "auth.issuer: must not be empty (leave it out to accept any issuer) (line 2)"),
        ("auth:\n  require_exp: maybe\n", "auth.require_exp: 'maybe' is not true or false (line 2)"),
    ]

    @Test(arguments: errors)
    func errorsNameTheKeyPathAndLine(yaml: String, message: String) {
        do {
            _ = try FabricConfig(reader: ConfigReader.parse(yaml: yaml))
            Issue.record("accepted \(yaml)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test(arguments: ["http://127.0.0.1:8080/jwks", "http://localhost/jwks", "http://[::1]:9/jwks", "https://idp.example/jwks"])
    func loopbackHTTPAndAnyHTTPSAreAccepted(url: String) throws {
        #expect(try FabricConfig(reader: ConfigReader.parse(yaml: "auth:\n  jwks_url: \"\(url)\"\n")).auth.jwksURL == url)
    }
}
