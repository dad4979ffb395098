import ArgumentParser
import FabricCore
import FabricNATS
import Foundation

/// `fabric routes check|test|apply`: validate rules, dry-run a message against them,
/// push them to every router.
struct RoutesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routes", abstract: "Validate, try and apply routing rules.",
        subcommands: [Check.self, Try.self, Apply.self])

    static func load(_ file: String) throws -> (text: String, routes: RouteSet) {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationFailure(message: "cannot read \(file)")
        }
        let text = String(decoding: data, as: UTF8.self)
        do {
            return (text, try RouteSet.parse(yaml: text, version: "file:" + String(JumpHash.hash(text), radix: 16)))
        } catch {
            throw ValidationFailure(message: "\(file): \(error)")
        }
    }

    /// `fabric routes check FILE`.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", abstract: "Validate a rules file.")

        @Argument(help: "Rules file (YAML).") var file: String

        func run() throws {
            let (_, routes) = try RoutesCommand.load(file)
            let fallback =
                if case .route(let route) = routes.fallback { "route to \(route.to.joined(separator: ", "))" } else {
                    "not-found"
                }
            print("\(file): ok, \(routes.routes.count) rules, default \(fallback)")
        }
    }

    /// `fabric routes test FILE --type T …`.
    struct Try: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test", abstract: "Show which rules a message would match, and why.")

        @Argument(help: "Rules file (YAML).") var file: String
        @Option(help: "Message type.") var type: String
        @Option(help: "Entry protocol (http, h2, ws, grpc, mqtt, internal).") var source: String?
        @Option(help: "Topic (MQTT syntax).") var topic: String?
        @Option(name: .customLong("header"), help: "Client header name=value (repeatable).") var headers: [String] = []
        @Option(help: "Verified principal.") var principal: String?
        @Option(help: "Verified roles, comma separated.") var roles: String?
        @Option(help: "Verified tenant.") var tenant: String?
        @Option(help: "Other verified claims as a JSON object.") var claims: String?
        @Option(help: "Client id.") var client: String?
        @Option(help: "Payload: JSON text, or @FILE.") var payload: String?

        func run() throws {
            let (_, routes) = try RoutesCommand.load(file)
            var input = RoutingInput(
                type: type,
                source: try source.map { name in
                    guard let parsed = Source(rawValue: name) else { throw ValidationFailure(message: "unknown source \(name)") }
                    return parsed
                }, topic: topic, principal: principal, roles: roles.map { $0.split(separator: ",").map(String.init) } ?? [],
                tenant: tenant, claimsJSON: claims, client: client)
            for header in headers {
                guard let equals = header.firstIndex(of: "=") else {
                    throw ValidationFailure(message: "--header needs name=value")
                }
                input.headers.add(String(header[..<equals]).lowercased(), String(header[header.index(after: equals)...]))
            }
            if let payload {
                if payload.hasPrefix("@") {
                    guard let data = FileManager.default.contents(atPath: String(payload.dropFirst())) else {
                        throw ValidationFailure(message: "cannot read \(payload.dropFirst())")
                    }
                    input.payload = Array(data)
                } else {
                    input.payload = Array(payload.utf8)
                }
            }
            let matcher = RouteMatcher(routes)
            var explained = input
            for (route, outcome) in matcher.explain(&explained) {
                print("  \(route.name) [line \(route.line.map(String.init) ?? "?")]: \(outcome)")
            }
            switch matcher.match(&input) {
            case .unmatched:
                print("=> not-found: no rule matches type \(type)")
            case .forbidden(let route, let reason):
                print("=> forbidden by \(route.name): \(reason)")
            case .routed(let matched):
                for route in matched {
                    let partition = route.partition.map { $0.partition(for: &input) }
                    for service in route.to {
                        let subject =
                            route.delivery == .atMostOnce
                            ? FabricNames.Subject.service(service, partition: partition)
                            : FabricNames.Subject.work(service: service)
                        var line = "=> \(route.name): \(route.delivery.rawValue) to \(subject)"
                        if let partition { line += " (partition \(partition) of \(route.partition!.count))" }
                        print(line)
                    }
                }
            }
        }
    }

    /// `fabric routes apply FILE`.
    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply", abstract: "Validate rules and store them in fabric-config; every router switches.")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Rules file (YAML).") var file: String

        func run() async throws {
            let (text, routes) = try RoutesCommand.load(file)
            let config = try global.loadConfig()
            do throws(NATSError) {
                let connection = try await NATSConnection.connect(NATSOptions(config: config.nats, role: "routes-apply"))
                defer { connection.close() }
                let jetStream = try JetStream(connection)
                let bucket = try await jetStream.ensureKeyValue(FabricTopology(config: config.jetstream).configBucket)
                let revision = try await bucket.put(FabricNames.ConfigKey.routes, Array(text.utf8))
                print("applied \(routes.routes.count) rules as kv:\(revision)")
            } catch {
                throw ValidationFailure(message: "cannot apply to \(config.nats.urls.joined(separator: ",")): \(error)")
            }
        }
    }
}
