import ArgumentParser
import FabricCore
import FabricNATS
import Foundation

/// `fabric send TYPE [PAYLOAD]`: publishes one envelope to `fabric.in.<type>` as an
/// adapter would, and prints the answer: a way to try routes, retries and dead letters
/// before any adapter runs.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send", abstract: "Send one message into the fabric as an adapter would, and print the answer.")

    @OptionGroup var global: ToolOptions
    @Argument(help: "Message type, e.g. job.demo.") var type: String
    @Argument(help: "Payload text (JSON or not); @FILE reads a file.") var payload: String = "{}"
    @Option(help: "What to wait for: none, ack (stored/published), reply (the backend's answer).") var expect: String = "reply"
    @Option(help: "Verified principal to claim (development only).") var principal: String?
    @Option(help: "Fabric-Id to use (a retry with the same id is de-duplicated).") var id: String?
    @Option(help: "How long to wait for the answer.") var timeout: String = "10s"

    func run() async throws {
        guard let expectation = Expect(rawValue: expect) else {
            throw ValidationFailure(message: "--expect must be none, ack or reply")
        }
        do { try MessageType.validate(type) } catch { throw ValidationFailure(message: "type: \(error.reason)") }
        let wait: Duration
        do { wait = try Duration.parse(timeout) } catch { throw ValidationFailure(message: "--timeout: \(error.reason)") }
        var body = Array(payload.utf8)
        if payload.hasPrefix("@") {
            guard let data = FileManager.default.contents(atPath: String(payload.dropFirst())) else {
                throw ValidationFailure(message: "cannot read \(payload.dropFirst())")
            }
            body = Array(data)
        }
        var envelope = Envelope(type: type, source: .internal, payload: body, id: id ?? FabricID.generate())
        guard FabricID.isValid(envelope.id) else { throw ValidationFailure(message: "--id '\(envelope.id)' is not a fabric id") }
        envelope.expect = expectation
        envelope.correlationID = envelope.id
        if let principal { envelope.claims = Claims(principal: principal) }
        if JSONCodec.parse(body) != nil { envelope.contentType = "application/json" }

        let tool = try await ToolConnection.open(global, role: "send")
        defer { tool.close() }
        let subject = FabricNames.Subject.inbound(type: type)
        if expectation == .none {
            try tool.connection.publish(subject, headers: envelope.headers, payload: body)
            try await tool.connection.flush()
            print("sent \(envelope.id)")
            return
        }
        let reply: NATSMessage
        do {
            reply = try await tool.connection.request(subject, headers: envelope.headers, payload: body, timeout: wait)
        } catch {
            let reason = error.code == .noResponders ? "no router is running" : error.message
            throw ValidationFailure(message: "\(envelope.id): \(reason)")
        }
        let status = reply.headers[HeaderName.status] ?? "ok"
        print("\(envelope.id) \(status)" + (reply.headers[HeaderName.error].map { ": \($0)" } ?? ""))
        if !reply.payload.isEmpty { print(reply.text) }
        if status != Status.ok.rawValue { throw ExitCode(1) }
    }
}
