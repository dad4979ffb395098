import ArgumentParser
import FabricCore
import FabricDelivery

extension DLQCommand {
    /// `fabric dlq replay SEQ…|--all`: back into FABRIC_WORK, attempts starting over.
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Store dead letters as work again (fresh id, attempts from 1); each leaves the DLQ once stored.")

        @OptionGroup var global: ToolOptions
        @Argument(help: "Sequences in FABRIC_DLQ.") var sequences: [UInt64] = []
        @Flag(help: "Every dead letter (of --service when given).") var all = false
        @Option(help: "With --all: only this service's dead letters.") var service: String?
        @Option(help: "Send them to this service instead of their own.") var to: String?

        func validate() throws {
            if all == !sequences.isEmpty {
                throw ValidationError("name the sequences to replay, or --all (not both)")
            }
            if service != nil && !all { throw ValidationError("--service goes with --all") }
        }

        func run() async throws {
            let (replayed, failed) = try await DLQCommand.withStore(global) { store, _ -> (Int, Int) in
                let chosen = all ? try await store.sequences(service: service) : sequences
                var replayed = 0
                var failed = 0
                for sequence in chosen {
                    do throws(DeadLetterError) {
                        let work = try await store.replay(sequence, to: to)
                        print("replayed \(sequence) as work \(work)")
                        replayed += 1
                    } catch {
                        // Keep going: one missing sequence must not stop the others.
                        StandardError.write("\(sequence): \(error.message)")
                        failed += 1
                    }
                }
                return (replayed, failed)
            }
            if all && replayed == 0 && failed == 0 { print("no dead letters to replay") }
            if failed > 0 {
                throw ValidationFailure(message: "\(failed) of \(replayed + failed) dead letters not replayed")
            }
        }
    }
}
