import ArgumentParser
import FabricCore
import FabricDelivery

extension DLQCommand {
    /// `fabric dlq list`: the newest dead letters, as a table or JSON.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List the newest dead letters (a table, or JSON with --json).")

        @OptionGroup var global: ToolOptions
        @Option(help: "Only this service's dead letters.") var service: String?
        @Option(help: "Only those dead-lettered since: a duration back (90m, 1d) or a time (2024-05-01T12:00:00Z).")
        var since: String?
        @Option(help: "Only this reason (error, max-attempts, expired).") var reason: String?
        @Option(help: "At most this many, the newest.") var limit: Int = 100
        @Flag(help: "One JSON array (for scripts).") var json = false

        func run() async throws {
            guard limit > 0 else { throw ValidationFailure(message: "--limit must be at least 1") }
            let query = DeadLetterQuery(
                service: service, since: try since.map { try DLQCommand.parseTime($0, option: "--since") }, reason: reason,
                limit: limit)
            let letters = try await DLQCommand.withStore(global) { store, _ in try await store.list(query) }
            if json {
                print(try DLQCommand.json(letters, pretty: false))
                return
            }
            guard !letters.isEmpty else {
                print("no dead letters")
                return
            }
            let rows = letters.map { letter in
                [
                    String(letter.sequence), RFC3339.format(letter.time, fractionDigits: 0), letter.service, letter.reason,
                    letter.attempts.map(String.init) ?? "-", letter.type ?? "-", letter.id ?? "-",
                    String((letter.error ?? "").prefix(48)),
                ]
            }
            print(Table.render(header: ["SEQ", "TIME", "SERVICE", "REASON", "ATTEMPTS", "TYPE", "ID", "ERROR"], rows: rows))
        }
    }
}
