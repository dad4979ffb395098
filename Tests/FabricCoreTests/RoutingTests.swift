import FabricCore
import Testing

@Suite("Routing rules")
struct RoutingTests {
    static func rules(_ body: String, fallback: String = "not-found") throws -> RouteMatcher {
        RouteMatcher(try RouteSet.parse(yaml: "version: 1\nroutes:\n\(body)\ndefault: \(fallback)\n", version: "test"))
    }

    static func names(_ decision: RouteMatcher.Decision) -> [String] {
        if case .routed(let routes) = decision { return routes.map(\.name) }
        return []
    }

    // MARK: types

    static let typeCases: [(String, String, Bool)] = [
        ("a.b", "a.b", true), ("a.b", "a.c", false), ("a.*", "a.b", true), ("a.*", "a.b.c", false), ("a.*", "a", false),
        ("a.>", "a.b", true), ("a.>", "a.b.c", true), ("a.>", "a", false), (">", "x", true), ("*.b", "a.b", true),
        ("*.*", "a", false), ("a.*.c", "a.x.c", true),
    ]

    @Test(arguments: typeCases)
    func typeWildcardsFollowNATS(pattern: String, type: String, expected: Bool) throws {
        let matcher = try Self.rules("  - name: r\n    match: { type: \"\(pattern)\" }\n    to: svc")
        var input = RoutingInput(type: type)
        #expect(Self.names(matcher.match(&input)) == (expected ? ["r"] : []))
        #expect(try TypePattern(pattern).matches(type) == expected)
    }

    // MARK: operators

    static let payloadCases: [(String, String, Bool)] = [
        ("{ eq: 5 }", #"{"v":5}"#, true), ("{ eq: 5 }", #"{"v":6}"#, false), ("{ eq: \"x\" }", #"{"v":"x"}"#, true),
        ("{ ne: 5 }", #"{"v":6}"#, true), ("{ ne: 5 }", #"{"v":5}"#, false), ("{ ne: 5 }", #"{}"#, true),
        ("{ gt: 50 }", #"{"v":50.5}"#, true), ("{ gt: 50 }", #"{"v":50}"#, false), ("{ gte: 50 }", #"{"v":50}"#, true),
        ("{ lt: 0 }", #"{"v":-1}"#, true), ("{ lt: 0 }", #"{"v":0}"#, false), ("{ lte: 0 }", #"{"v":0}"#, true),
        ("{ gt: 1 }", #"{"v":"2"}"#, true), ("{ gt: 1 }", #"{"v":"abc"}"#, false),
        ("{ in: [a, b] }", #"{"v":"b"}"#, true), ("{ in: [a, b] }", #"{"v":"c"}"#, false), ("[1, 2]", #"{"v":2}"#, true),
        ("{ exists: true }", #"{"v":null}"#, false), ("{ exists: true }", #"{"v":0}"#, true),
        ("{ exists: false }", #"{}"#, true), ("{ exists: false }", #"{"v":1}"#, false),
        ("{ prefix: \"eu-\" }", #"{"v":"eu-west"}"#, true), ("{ prefix: \"eu-\" }", #"{"v":"us-east"}"#, false),
        ("{ gt: 1, lt: 3 }", #"{"v":2}"#, true), ("{ gt: 1, lt: 3 }", #"{"v":3}"#, false), ("7", #"{"v":7}"#, true),
        ("{ eq: x }", #"{"v":["y","x"]}"#, true), ("{ eq: 1 }", "not json", false),
    ]

    @Test(arguments: payloadCases)
    func payloadOperators(condition: String, payload: String, expected: Bool) throws {
        let matcher = try Self.rules("  - name: r\n    match: { payload: { \"/v\": \(condition) } }\n    to: svc")
        var input = RoutingInput(type: "t", payload: Array(payload.utf8))
        #expect(Self.names(matcher.match(&input)) == (expected ? ["r"] : []))
    }

    @Test func nestedPointersAndArraysResolve() throws {
        let matcher = try Self.rules("  - name: r\n    match: { payload: { \"/reading/values/1\": { gt: 10 } } }\n    to: svc")
        var input = RoutingInput(type: "t", payload: Array(#"{"reading":{"values":[1,20]}}"#.utf8))
        #expect(Self.names(matcher.match(&input)) == ["r"])
    }

    // MARK: other conditions

    @Test func sourceTopicHeadersAndClaims() throws {
        let matcher = try Self.rules(
            """
              - name: r
                match:
                  source: [mqtt, ws]
                  topic: "sensors/+/temperature"
                  headers: { X-Region: eu }
                  claims: { roles: premium, tenant: [acme, globex], plan: { prefix: pro } }
                to: svc
            """)
        func input(_ change: (inout RoutingInput) -> Void) -> RoutingInput {
            var input = RoutingInput(
                type: "t", source: .mqtt, topic: "sensors/eu/temperature", principal: "p", roles: ["basic", "premium"],
                tenant: "acme", claimsJSON: #"{"plan":"pro-annual"}"#, headers: Headers([("x-region", "eu")]))
            change(&input)
            return input
        }
        var matching = input { _ in }
        #expect(Self.names(matcher.match(&matching)) == ["r"])
        var variants: [RoutingInput] = [
            input { $0.source = .http }, input { $0.source = nil }, input { $0.topic = "sensors/eu/humidity" },
            input { $0.topic = nil }, input { $0.headers = Headers([("x-region", "us")]) }, input { $0.headers = Headers() },
            input { $0.roles = ["basic"] }, input { $0.tenant = "initech" }, input { $0.claimsJSON = #"{"plan":"free"}"# },
            input { $0.claimsJSON = nil },
        ]
        for index in variants.indices {
            #expect(Self.names(matcher.match(&variants[index])) == [], "variant \(index) matched")
        }
    }

    @Test func firstMatchWinsUnlessContinue() throws {
        let matcher = try Self.rules(
            """
              - name: first
                match: { type: "a.*" }
                to: one
                continue: true
              - name: second
                match: { type: "a.b" }
                to: [two, three]
              - name: third
                match: { type: "a.>" }
                to: four
            """)
        var input = RoutingInput(type: "a.b")
        guard case .routed(let routes) = matcher.match(&input) else {
            Issue.record("not routed")
            return
        }
        #expect(routes.map(\.name) == ["first", "second"])
        #expect(routes.flatMap(\.to) == ["one", "two", "three"])
        var other = RoutingInput(type: "a.c")
        #expect(Self.names(matcher.match(&other)) == ["first", "third"])
    }

    @Test func requireAnswersForbiddenInsteadOfFallingThrough() throws {
        let matcher = try Self.rules(
            """
              - name: admin
                match: { type: "admin.>" }
                require: { roles: [admin, ops], tenant: acme }
                to: svc
              - name: everything
                match: { type: ">" }
                to: other
            """)
        var admin = RoutingInput(type: "admin.reset", principal: "p", roles: ["ops"], tenant: "acme")
        #expect(Self.names(matcher.match(&admin)) == ["admin"])
        var noRole = RoutingInput(type: "admin.reset", principal: "p", roles: ["user"], tenant: "acme")
        guard case .forbidden(let route, let reason) = matcher.match(&noRole) else {
            Issue.record("not forbidden")
            return
        }
        #expect(route.name == "admin")
        #expect(reason.contains("roles"))
        var wrongTenant = RoutingInput(type: "admin.reset", principal: "p", roles: ["admin"], tenant: "other")
        if case .forbidden = matcher.match(&wrongTenant) {} else { Issue.record("wrong tenant was not forbidden") }
        var anonymous = RoutingInput(type: "admin.reset")
        if case .forbidden = matcher.match(&anonymous) {} else { Issue.record("anonymous was not forbidden") }
    }

    @Test func defaultRouteTakesTheUnmatched() throws {
        let withDefault = try Self.rules(
            "  - name: r\n    match: { type: a }\n    to: svc", fallback: "{ to: fallback, delivery: at-least-once }")
        var input = RoutingInput(type: "zzz")
        guard case .routed(let routes) = withDefault.match(&input) else {
            Issue.record("not routed")
            return
        }
        #expect(routes.map(\.name) == ["default"])
        #expect(routes.first?.to == ["fallback"])
        #expect(routes.first?.delivery == .atLeastOnce)
        let notFound = try Self.rules("  - name: r\n    match: { type: a }\n    to: svc")
        if case .unmatched = notFound.match(&input) {} else { Issue.record("no default must be unmatched") }
    }

    @Test func payloadIsParsedOnlyWhenACandidateNeedsIt() throws {
        let matcher = try Self.rules(
            """
              - name: typed
                match: { type: "cheap" }
                to: svc
              - name: payload
                match: { type: "costly", payload: { "/v": 1 } }
                to: svc
            """)
        var cheap = RoutingInput(type: "cheap", payload: Array(#"{"v":1}"#.utf8))
        _ = matcher.match(&cheap)
        #expect(!cheap.payloadWasParsed)
        var costly = RoutingInput(type: "costly", payload: Array(#"{"v":1}"#.utf8))
        #expect(Self.names(matcher.match(&costly)) == ["payload"])
        #expect(costly.payloadWasParsed)
    }

    @Test func actionsAreParsed() throws {
        let set = try RouteSet.parse(
            yaml: """
                version: 1
                routes:
                  - name: full
                    match: { type: "x.*" }
                    to: [a, b]
                    delivery: at-least-once
                    retry: { attempts: 7, backoff: { initial: 50ms, max: 5s, multiplier: 3, jitter: 0.1 } }
                    on_failure: drop
                    priority: batch
                    partition: { key: "header:X-User", count: 8 }
                    cache: { ttl: 2s, vary: [] }
                """, version: "v1")
        let route = try #require(set.routes.first)
        #expect(route.to == ["a", "b"])
        #expect(route.delivery == .atLeastOnce)
        #expect(route.retry == RetryPolicy(attempts: 7, initial: .milliseconds(50), max: .seconds(5), multiplier: 3, jitter: 0.1))
        #expect(route.onFailure == .drop)
        #expect(route.priority == .batch)
        #expect(route.partition == PartitionSpec(key: .header("x-user"), count: 8))
        #expect(route.cache == CachePolicy(ttl: .seconds(2), vary: []))
        #expect(set.referencedHeaders == ["x-user"])
    }

    // MARK: partitions

    @Test func jumpHashGoldenVectors() {
        // Fixed for all time: changing them moves every partitioned key.
        #expect(JumpHash.hash("") == 17_665_956_581_633_026_203)
        #expect(JumpHash.bucket("alice", buckets: 16) == 5)
        #expect(JumpHash.bucket("bob", buckets: 16) == 2)
        #expect(JumpHash.bucket("a.b@x.com", buckets: 16) == 0)
        #expect(JumpHash.bucket("", buckets: 16) == 11)
        #expect(JumpHash.bucket("alice", buckets: 1) == 0)
        #expect(JumpHash.bucket("sensor-42", buckets: 1024) == 808)
        // The jump function itself, on raw keys.
        #expect(JumpHash.bucket(hash: 0, buckets: 1) == 0)
        #expect((0..<1000).allSatisfy { JumpHash.bucket(hash: UInt64($0), buckets: 7) < 7 })
    }

    @Test func jumpHashMovesFewKeysWhenBucketsGrow() {
        let keys = (0..<2000).map { "key-\($0)" }
        let moved = keys.filter { JumpHash.bucket($0, buckets: 10) != JumpHash.bucket($0, buckets: 11) }.count
        // Consistent hashing: about 1/11 of the keys move (182 expected); a naive modulo moves ~90%.
        #expect(moved < 400)
        let spread = Dictionary(grouping: keys) { JumpHash.bucket($0, buckets: 10) }
        #expect(spread.count == 10)
    }

    @Test func partitionKeysComeFromTheirSources() throws {
        var input = RoutingInput(
            type: "t", principal: "alice", tenant: "acme", client: "alice~~s1", headers: Headers([("x-user", "u7")]),
            payload: Array(#"{"user":{"id":"u9"}}"#.utf8))
        #expect(PartitionSpec(key: .principal, count: 16).partition(for: &input) == JumpHash.bucket("alice", buckets: 16))
        #expect(PartitionSpec(key: .client, count: 16).partition(for: &input) == JumpHash.bucket("alice~~s1", buckets: 16))
        #expect(PartitionSpec(key: .header("x-user"), count: 16).partition(for: &input) == JumpHash.bucket("u7", buckets: 16))
        #expect(
            PartitionSpec(key: .payload(try JSONPointer("/user/id")), count: 16).partition(for: &input)
                == JumpHash.bucket("u9", buckets: 16))
        #expect(PartitionSpec(key: .tenant, count: 16).partition(for: &input) == JumpHash.bucket("acme", buckets: 16))
    }

    // MARK: invalid rules

    static let invalid: [(String, String)] = [
        ("version: 2\nroutes: []", "version: unsupported version 2 (this build reads 1) (line 1)"),
        ("routes: []", "version: missing: the file starts with 'version: 1' (line 1)"),
        ("version: 1\nroutes: 5", "routes: must be a list of rules (line 2)"),
        ("version: 1\nroutes:\n  - match: { type: a }\n    to: s", "routes[0]: name: every rule has a name (line 3)"),
        ("version: 1\nroutes:\n  - name: r\n    match: { type: a }", "routes[0] 'r': to: needs at least one service (line 3)"),
        (
            "version: 1\nroutes:\n  - name: r\n    to: \"a.b\"",
            "routes[0] 'r': to: 'a.b' is not a service name (1-64 letters, digits, '-' or '_') (line 4)"
        ),
        (
            "version: 1\nroutes:\n  - name: r\n    match: { type: \"a..b\" }\n    to: s",
            "routes[0] 'r': match.type: '' is not a token (letters, digits, '-', '_'; or '*', '>') (line 4)"
        ),
        (
            "version: 1\nroutes:\n  - name: r\n    match: { source: carrier }\n    to: s",
            "routes[0] 'r': match.source: 'carrier' is not one of http, h2, ws, grpc, mqtt, internal (line 4)"
        ),
        (
            "version: 1\nroutes:\n  - name: r\n    match: { topic: \"a/#/b\" }\n    to: s",
            "routes[0] 'r': match.topic: '#' must be the last level (line 4)"
        ),
        (
            "version: 1\nroutes:\n  - name: r\n    match: { payload: { \"v\": 1 } }\n    to: s",
            "routes[0] 'r': match.payload.v: a JSON Pointer starts with '/' (line 4)"
        ),
        (
            "version: 1\nroutes:\n  - name: r\n    match: { payload: { \"/v\": { gt: x } } }\n    to: s",
            "routes[0] 'r': match.payload./v.gt: 'gt' needs a number (line 4)"
        ),
        (
            "version: 1\nroutes:\n  - name: r\n    match: { payload: { \"/v\": { like: x } } }\n    to: s",
            "routes[0] 'r': match.payload./v.like: unknown operator 'like' (eq, ne, gt, gte, lt, lte, in, exists, prefix) (line 4)"
        ),
        (
            "version: 1\nroutes:\n  - name: r\n    match: { payload: { \"/v\": { in: x } } }\n    to: s",
            "routes[0] 'r': match.payload./v.in: 'in' needs a list (line 4)"
        ),
        (
            "version: 1\nroutes:\n  - name: r\n    match: { payload: { \"/v\": { exists: maybe } } }\n    to: s",
            "routes[0] 'r': match.payload./v.exists: 'exists' needs true or false (line 4)"
        ),
        (
            "version: 1\nroutes:\n  - name: r\n    match: { payload: { \"/v\": { prefix: 5 } } }\n    to: s",
            "routes[0] 'r': match.payload./v.prefix: 'prefix' needs a string (line 4)"
        ),
        (
            "version: 1\nroutes:\n  - name: r\n    to: s\n    delivery: exactly-once",
            "routes[0] 'r': delivery: 'exactly-once' is not one of at-most-once, at-least-once (line 5)"
        ),
        (
            "version: 1\nroutes:\n  - name: r\n    to: s\n    retry: { attempts: 0 }",
            "routes[0] 'r': retry.attempts: must be 1...1000 (line 5)"
        ),
        (
            "version: 1\nroutes:\n  - name: r\n    to: s\n    retry: { backoff: { jitter: 2 } }",
            "routes[0] 'r': retry.backoff.jitter: must be 0...1 (line 5)"
        ),
        (
            "version: 1\nroutes:\n  - name: r\n    to: s\n    retry: { backoff: { initial: 5s, max: 1s } }",
            "routes[0] 'r': retry.backoff.max: must be at least initial (line 5)"
        ),
        (
            "version: 1\nroutes:\n  - name: r\n    to: s\n    on_failure: shrug",
            "routes[0] 'r': on_failure: 'shrug' is not one of dead-letter, drop (line 5)"
        ),
        (
            "version: 1\nroutes:\n  - name: r\n    to: s\n    priority: urgent",
            "routes[0] 'r': priority: 'urgent' is not one of critical, high, normal, low, batch (line 5)"
        ),
        (
            "version: 1\nroutes:\n  - name: r\n    to: s\n    partition: { key: principal, count: 0 }",
            "routes[0] 'r': partition.count: 0 is outside 1...1024 (line 5)"
        ),
        (
            "version: 1\nroutes:\n  - name: r\n    to: s\n    partition: { key: shoe, count: 2 }",
            "routes[0] 'r': partition.key: a partition key is principal, client, tenant, type, topic, header:<name> or payload:</pointer> (line 5)"
        ),
        (
            "version: 1\nroutes:\n  - name: r\n    to: s\n    cache: { ttl: 0s }",
            "routes[0] 'r': cache.ttl: needs a positive duration (line 5)"
        ),
        (
            "version: 1\nroutes:\n  - name: r\n    to: s\n    cache: { ttl: 1s, vary: [mood] }",
            "routes[0] 'r': cache.vary: cannot vary by 'mood' (principal, tenant, roles) (line 5)"
        ),
        ("version: 1\nroutes:\n  - name: r\n    to: s\n    colour: blue", "routes[0] 'r': colour: unknown key (line 5)"),
        (
            "version: 1\nroutes:\n  - name: r\n    to: s\n  - name: r\n    to: t",
            "routes[1] 'r': name: duplicate name (also routes[0]) (line 5)"
        ),
        ("version: 1\nroutes: []\ndefault: maybe", "default: is 'not-found' or a route (to, delivery, …) (line 3)"),
        ("version: 1\nroutes: []\nextra: 1", "extra: unknown key (line 3)"),
        ("version: 1\nroutes: [unclosed", "not valid YAML: 3:1: error: parser: while parsing a flow sequence"),
    ]

    @Test(arguments: invalid)
    func invalidRulesAreRefusedWithRuleFieldAndLine(yaml: String, message: String) {
        do {
            _ = try RouteSet.parse(yaml: yaml, version: "x")
            Issue.record("accepted:\n\(yaml)")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error.description)")
        }
    }
}
