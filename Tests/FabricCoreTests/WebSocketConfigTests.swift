import FabricCore
import Testing

@Suite("ws: configuration and topic permissions")
struct WebSocketConfigTests {
    @Test func defaults() throws {
        let ws = WebSocketConfig.defaults
        #expect(ws.port == 8090)
        #expect(ws.buffer.dropPolicy == .dropOldest)
        #expect(ws.limits.maxPayload == 1 << 20)
        #expect(ws.subscribe.allow == ["#"])
        #expect(ws.pingInterval == .seconds(30))
    }

    @Test func everyPolicyIsAccepted() throws {
        for policy in DropPolicy.allCases {
            let config = try FabricConfig(reader: ConfigReader.parse(yaml: "ws: { buffer: { drop_policy: \(policy.rawValue) } }"))
            #expect(config.ws.buffer.dropPolicy == policy)
        }
    }

    @Test func errorsNameTheKeyPath() {
        let cases: [(String, String)] = [
            ("ws:\n  limits: { max_frame_size: 4MiB, max_message_size: 2MiB }\n", "ws.limits.max_frame_size"),
            ("ws:\n  buffer: { drop_policy: random }\n", "ws.buffer.drop_policy"),
            ("ws:\n  subscribe: { allow: [\"a/#/b\"] }\n", "ws.subscribe.allow"),
            ("ws:\n  forward_headers: [Fabric-Principal]\n", "ws.forward_headers"),
            ("ws:\n  prot: 1\n", "ws.prot: unknown key"),
        ]
        for (yaml, expected) in cases {
            do {
                _ = try FabricConfig(reader: ConfigReader.parse(yaml: yaml))
                Issue.record("accepted \(yaml)")
            } catch {
                #expect("\(error)".contains(expected), "\(error)")
            }
        }
    }

    @Test func coverage() throws {
        func covered(_ filter: String, _ allowed: String) throws -> Bool {
            try TopicFilter(filter).isCovered(by: TopicFilter(allowed))
        }
        #expect(try covered("sensors/+/t", "sensors/#"))
        #expect(try covered("sensors/+/t", "sensors/+/+"))
        #expect(try covered("sensors/eu/t", "sensors/+/t"))
        #expect(try covered("sensors", "sensors/#"))
        #expect(try covered("a/#", "#"))
        #expect(try !covered("sensors/+/t", "sensors/eu/t"))
        #expect(try !covered("sensors/#", "sensors/+"))
        #expect(try !covered("sensors/eu", "sensors/eu/t"))
        #expect(try !covered("sensors/eu/t/x", "sensors/+/t"))
        #expect(try !covered("other/x", "sensors/#"))
    }
}
