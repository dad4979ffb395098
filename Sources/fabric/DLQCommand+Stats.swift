import ArgumentParser
import FabricCore
import FabricDelivery

extension DLQCommand {
    /// `fabric dlq stats`: counts by service and reason.
    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stats", abstract: "Count dead letters by service and reason.")

        @OptionGroup var global: ToolOptions
        @Flag(help: "JSON (for scripts).") var json = false

        func run() async throws {
            let stats = try await DLQCommand.withStore(global) { store, _ in try await store.stats() }
            if json {
                print(try DLQCommand.json(stats, pretty: false))
                return
            }
            guard stats.total > 0 else {
                print("no dead letters")
                return
            }
            var rows: [[String]] = []
            for service in stats.counts.keys.sorted() {
                for (reason, count) in stats.counts[service]!.sorted(by: { $0.key < $1.key }) {
                    rows.append([service, reason, String(count)])
                }
            }
            rows.append(["total", "", String(stats.total)])
            print(Table.render(header: ["SERVICE", "REASON", "COUNT"], rows: rows))
            if let oldest = stats.oldest, let newest = stats.newest {
                print(
                    "\noldest \(RFC3339.format(oldest, fractionDigits: 0)), newest \(RFC3339.format(newest, fractionDigits: 0))")
            }
        }
    }
}
