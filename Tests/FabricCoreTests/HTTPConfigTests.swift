import FabricCore
import Testing

@Suite("HTTP adapter configuration")
struct HTTPConfigTests {
    func load(_ yaml: String, environment: [String: String] = [:]) throws(ValidationError) -> HTTPConfig {
        try FabricConfig(reader: ConfigReader.parse(yaml: yaml, environment: environment)).http
    }

    @Test func defaultsAreSafeAndPortsDoNotCollide() throws {
        let config = try load("")
        let defaults = FabricConfig.defaults
        #expect(config.port == 8080)
        #expect(config.h2cPort == 8081)
        #expect(config.tls == nil)
        #expect(config.limits.maxBodySize == 1 << 20)
        #expect(config.limits.maxConcurrentStreams == 100)
        #expect(config.shedding.policy == SheddingPolicy(limit: 4096, highWatermark: 3072))
        #expect(config.events.dropPolicy == .dropOldest)
        let ports = [config.port, config.h2cPort, defaults.admin.port, defaults.up.natsPort]
        #expect(Set(ports).count == ports.count)
    }

    @Test func valuesAndEnvironmentOverridesAreRead() throws {
        let config = try load(
            """
            http:
              port: 9000
              h2c_port: -1
              tls: { port: 9443, cert_file: /c.pem, key_file: /k.pem }
              limits: { max_body_size: 64KiB, idle_timeout: 5s, max_connection_age: 1h }
              forward_headers: [X-Region, x-tenant-hint]
              events: { drop_policy: disconnect, buffer: 8 }
              shedding: { max_in_flight: 100, high_watermark: 0.5 }
            """,
            environment: ["FABRIC_HTTP__LIMITS__MAX_BODY_SIZE": "2KiB"])
        #expect(config.port == 9000)
        #expect(config.h2cPort == -1)
        #expect(config.tls?.port == 9443)
        #expect(config.limits.maxBodySize == 2048)
        #expect(config.limits.maxConnectionAge == .seconds(3600))
        #expect(config.forwardHeaders == ["x-region", "x-tenant-hint"])
        #expect(config.events.dropPolicy == .disconnect)
        #expect(config.shedding.policy.highWatermark == 50)
    }

    @Test func mistakesNameTheKey() {
        for (yaml, path) in [
            ("http:\n  forward_headers: [Fabric-Principal]\n", "http.forward_headers"),
            ("http:\n  forward_headers: [authorization]\n", "http.forward_headers"),
            ("http:\n  tls: { cert_file: /c.pem }\n", "http.tls.key_file"),
            ("http:\n  limits: { max_concurrent_streams: 500 }\n", "http.limits.max_concurrent_streams"),
            ("http:\n  shedding: { high_watermark: 2 }\n", "http.shedding.high_watermark"),
            ("http:\n  request_timeout: 10m\n", "http.max_request_timeout"),
            ("http:\n  events: { drop_policy: random }\n", "http.events.drop_policy"),
            ("http:\n  prot: 1\n", "http.prot"),
        ] {
            do {
                _ = try load(yaml)
                Issue.record("accepted: \(yaml)")
            } catch {
                #expect(error.path == path, "\(yaml)")
            }
        }
    }
}
