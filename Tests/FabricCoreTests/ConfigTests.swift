import FabricCore
import Foundation
import Testing

@Suite("Configuration")
struct ConfigTests {
    func load(_ yaml: String, environment: [String: String] = [:]) throws(ValidationError) -> FabricConfig {
        try FabricConfig(reader: ConfigReader.parse(yaml: yaml, environment: environment))
    }

    @Test func emptyFileGivesDefaults() throws {
        let config = try load("")
        #expect(config.nats.urls == ["nats://127.0.0.1:4222"])
        #expect(config.nats.sendAsap)
        #expect(config.admin.port == 9090)
        #expect(config.log.format == .text)
        #expect(config.jetstream.duplicateWindow == .seconds(120))
        #expect(config.up.natsPort == 4222)
        #expect(config.router.batchWhenBusy)
        #expect(config.router.subscriptions == 2)
        #expect(config.http.batchPublishes)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        #expect(config.nats.deliveryThreads == max(1, min(4, cores / 2)))
        #expect(try load("nats: { delivery_threads: 3 }").nats.deliveryThreads == 3)
        #expect(try load("http: { batch_publishes: false }").http.batchPublishes == false)
    }

    @Test func valuesAreRead() throws {
        let config = try load(
            """
            instance: edge-1
            nats:
              urls: [nats://127.0.0.1:5000, nats://127.0.0.1:5001]
              reconnect_wait: 500ms
              reconnect_buffer: 4MiB
              tls:
                ca_file: /etc/ca.pem
            admin:
              port: 0
            log: { level: debug, format: json }
            jetstream:
              duplicate_window: 5m
              work: { max_messages: 10 }
            router: { batch_when_busy: false, subscriptions: 1 }
            """)
        #expect(config.instance == "edge-1")
        #expect(config.nats.urls == ["nats://127.0.0.1:5000", "nats://127.0.0.1:5001"])
        #expect(config.nats.reconnectWait == .milliseconds(500))
        #expect(config.nats.reconnectBufferBytes == 4 << 20)
        #expect(config.nats.tls?.caFile == "/etc/ca.pem")
        #expect(config.admin.port == 0)
        #expect(config.log.level == .debug)
        #expect(config.log.format == .json)
        #expect(config.jetstream.duplicateWindow == .seconds(300))
        #expect(config.jetstream.workMaxMessages == 10)
        #expect(!config.router.batchWhenBusy)
        #expect(config.router.subscriptions == 1)
    }

    @Test func environmentOverridesTheFile() throws {
        let config = try load(
            "admin:\n  port: 9000\n",
            environment: [
                "FABRIC_ADMIN__PORT": "9100", "FABRIC_NATS__URLS": "nats://127.0.0.1:1,nats://127.0.0.1:2",
                "FABRIC_JETSTREAM__WORK__MAX_MESSAGES": "7", "FABRIC_UNRELATED": "x", "HOME": "/root",
            ])
        #expect(config.admin.port == 9100)
        #expect(config.nats.urls == ["nats://127.0.0.1:1", "nats://127.0.0.1:2"])
        #expect(config.jetstream.workMaxMessages == 7)
    }

    static let errors: [(String, String)] = [
        ("admin:\n  prot: 1\n", "admin.prot: unknown key (line 2)"),
        ("admin:\n  port: abc\n", "admin.port: 'abc' is not an integer (line 2)"),
        ("admin:\n  port: 70000\n", "admin.port: 70000 is outside 0...65535 (line 2)"),
        ("nats:\n  urls: [http://x]\n", "nats.urls: 'http://x' must start with nats:// or tls:// (line 2)"),
        ("nats:\n  reconnect_wait: soon\n", "nats.reconnect_wait: not a duration (use e.g. 250ms, 5s, 2m, 1h) (line 2)"),
        ("log:\n  format: xml\n", "log.format: 'xml' is not one of text, json (line 2)"),
        (
            "jetstream:\n  work:\n    max_age: 1x\n",
            "jetstream.work.max_age: unknown duration unit 'x' (ns, us, ms, s, m, h, d) (line 3)"
        ),
        ("nats: 5\n", "nats: must be a mapping of keys to values (line 1)"),
        ("nats:\n  nkey_seed_file: /x\n", "nats.nkey_public_key: is required with nkey_seed_file (line 2)"),
        ("bogus: 1\n", "bogus: unknown key (line 1)"),
    ]

    @Test(arguments: errors)
    func errorsNameTheKeyPathAndLine(yaml: String, message: String) {
        do {
            _ = try load(yaml)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func unknownOverrideVariableIsAnError() {
        #expect(throws: ValidationError.self) { try load("", environment: ["FABRIC_ADMIN__PROT": "1"]) }
    }

    @Test func invalidYAMLIsAClearError() {
        do {
            _ = try load("nats: [unclosed\n")
            Issue.record("accepted broken YAML")
        } catch {
            #expect(error.description.contains("not valid YAML"))
        }
    }

    static let durations: [(String, Duration)] = [
        ("250ms", .milliseconds(250)), ("5s", .seconds(5)), ("2m", .seconds(120)), ("1h", .seconds(3600)),
        ("1m30s", .seconds(90)),
        ("1.5s", .milliseconds(1500)), ("10us", .microseconds(10)),
    ]

    @Test(arguments: durations)
    func durationsParse(text: String, expected: Duration) throws {
        #expect(try Duration.parse(text) == expected)
    }
}
