import ArgumentParser
import FabricCore
import FabricDelivery

extension DLQCommand {
    /// `fabric dlq purge`: removes dead letters for good, after asking.
    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "purge", abstract: "Remove dead letters for good (asks first unless --yes).")

        @OptionGroup var global: ToolOptions
        @Option(help: "Only this service's dead letters.") var service: String?
        @Option(name: .customLong("older-than"), help: "Only those dead-lettered longer ago than this (7d, 12h).")
        var olderThan: String?
        @Flag(help: "Do not ask.") var yes = false

        func run() async throws {
            let age = try olderThan.map { try DLQCommand.parseDuration($0, option: "--older-than") }
            try await DLQCommand.withStore(global) { store, _ in
                // Counted once; the purge removes up to the bound counted, not what arrives
                // while the prompt waits.
                let plan = try await store.planPurge(service: service, olderThan: age)
                let count = plan.count
                let what =
                    "\(count) dead letter\(count == 1 ? "" : "s")" + (service.map { " of \($0)" } ?? "")
                    + (olderThan.map { " older than \($0)" } ?? "")
                guard count > 0 else {
                    print("nothing to purge (\(what))")
                    return
                }
                if !yes {
                    print("purge \(what)? [y/N] ", terminator: "")
                    let answer = readLine(strippingNewline: true)?.lowercased() ?? ""
                    guard answer == "y" || answer == "yes" else {
                        throw ValidationFailure(message: "not purged (answer y to purge, or pass --yes)")
                    }
                }
                let purged = try await store.purge(plan)
                print("purged \(purged) dead letter\(purged == 1 ? "" : "s")")
            }
        }
    }
}
