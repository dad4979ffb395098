import ArgumentParser
import FabricCore
import FabricDelivery
import Foundation

/// `fabric dlq list|show|replay|purge|stats`: the dead-letter inspection tool.
struct DLQCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq", abstract: "Inspect, replay and purge dead letters (FABRIC_DLQ).",
        subcommands: [List.self, Show.self, Replay.self, Purge.self, Stats.self])

    /// Runs `body` with a dead-letter store on a fresh connection, turning its errors into
    /// one clear line and a non-zero exit.
    static func withStore<Result>(
        _ global: ToolOptions, _ body: (DeadLetterStore, ToolConnection) async throws -> Result
    ) async throws -> Result {
        let tool = try await ToolConnection.open(global, role: "dlq")
        defer { tool.close() }
        do {
            return try await body(DeadLetterStore(jetStream: tool.jetStream), tool)
        } catch let error as DeadLetterError {
            throw ValidationFailure(message: error.message)
        }
    }

    /// Nanoseconds since the epoch of `--since`: a duration back from now (`90m`, `1d`), an
    /// RFC 3339 time, or a date (midnight UTC).
    static func parseTime(_ text: String, option: String) throws -> Int64 {
        if let duration = try? Duration.parse(text) {
            return Int64(WallClock.nowMillis()) * 1_000_000 - duration.milliseconds * 1_000_000
        }
        if let time = RFC3339.parse(text) { return time }
        if text.utf8.count == 10, let time = RFC3339.parse(text + "T00:00:00Z") { return time }
        throw ValidationFailure(message: "\(option) '\(text)' is neither a duration (90m, 1d) nor a time (2024-05-01T12:00:00Z)")
    }

    /// A duration option such as `--older-than 7d`.
    static func parseDuration(_ text: String, option: String) throws -> Duration {
        do { return try Duration.parse(text) } catch {
            throw ValidationFailure(message: "\(option) '\(text)': \(error.reason)")
        }
    }

    /// Milliseconds since the epoch as a short UTC time.
    static func time(millis: UInt64?) -> String {
        millis.map { RFC3339.format(Int64($0) * 1_000_000, fractionDigits: 3) } ?? "-"
    }

    /// Compact JSON (for scripts) or pretty JSON.
    static func json(_ value: some Encodable, pretty: Bool = true) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
