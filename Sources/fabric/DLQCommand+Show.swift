import ArgumentParser
import FabricCore
import FabricDelivery
import Foundation

extension DLQCommand {
    /// `fabric dlq show SEQ`: one dead letter with every header and its body.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show one dead letter: bookkeeping, headers, body (pretty JSON or hex).")

        @OptionGroup var global: ToolOptions
        @Argument(help: "Sequence in FABRIC_DLQ (from dlq list).") var sequence: UInt64

        func run() async throws {
            let letter = try await DLQCommand.withStore(global) { store, _ in try await store.show(sequence) }
            let summary = letter.summary
            let facts: [(String, String)] = [
                ("sequence", String(summary.sequence)), ("service", summary.service),
                ("dead-lettered", RFC3339.format(summary.time, fractionDigits: 3)), ("reason", summary.reason),
                ("attempts", summary.attempts.map(String.init) ?? "-"),
                ("first failure", DLQCommand.time(millis: summary.firstFailure)),
                ("last failure", DLQCommand.time(millis: summary.lastFailure)), ("status", summary.status ?? "-"),
                ("error", summary.error ?? "-"), ("original subject", summary.originalSubject ?? "-"),
            ]
            for (name, value) in facts { print(name.padding(toLength: 18, withPad: " ", startingAt: 0) + value) }
            print("\nheaders:")
            for field in letter.headers { print("  \(field.name): \(field.value)") }
            let contentType = letter.headers[HeaderName.contentType].map { ", \($0)" } ?? ""
            print("\npayload (\(letter.payload.count) bytes\(contentType)):")
            print(Self.render(letter.payload))
        }

        /// Pretty JSON when the body is JSON, UTF-8 text when it is text, a hex dump otherwise.
        static func render(_ payload: [UInt8]) -> String {
            if payload.isEmpty { return "(empty)" }
            if let object = try? JSONSerialization.jsonObject(with: Data(payload), options: [.fragmentsAllowed]),
                let pretty = try? JSONSerialization.data(
                    withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
            {
                return String(decoding: pretty, as: UTF8.self)
            }
            return hexDump(payload)
        }

        static func hexDump(_ bytes: [UInt8]) -> String {
            var lines: [String] = []
            for offset in stride(from: 0, to: bytes.count, by: 16) {
                let chunk = bytes[offset..<min(offset + 16, bytes.count)]
                let hex = chunk.map { String(format: "%02x", $0) }.joined(separator: " ")
                let text = String(chunk.map { (32...126).contains($0) ? Character(Unicode.Scalar($0)) : "." })
                lines.append(
                    String(format: "%08x  ", offset) + hex.padding(toLength: 48, withPad: " ", startingAt: 0) + " " + text)
            }
            return lines.joined(separator: "\n")
        }
    }
}
