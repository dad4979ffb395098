import FabricConformance
import FabricCore
import FabricTestSupport
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOSSL
import NIOWebSocket
import Synchronization

/// A real WebSocket client (HummingbirdWSClient) for the tests: connects, keeps every
/// message it receives, sends on demand, and reports how the server closed.
final class WSTestClient: Sendable {
    /// One message from the server.
    struct Received: Sendable {
        let text: String?
        let binary: [UInt8]?

        /// The JSON object of a text frame (or of a binary frame's header line).
        var json: [String: JSONValue]? {
            let bytes: [UInt8]
            if let text {
                bytes = Array(text.utf8)
            } else if let binary {
                bytes = Array(binary.prefix { $0 != 0x0A })
            } else {
                return nil
            }
            guard case .object(let object)? = JSONCodec.parse(bytes) else { return nil }
            return object
        }

        func string(_ key: String) -> String? { json?[key]?.stringValue }
        func number(_ key: String) -> Double? { json?[key]?.numberValue }
        var op: String? { string("op") }
    }

    private let received = Mutex<[Received]>([])
    private let waiting = Waiting<Received>()
    private let outgoing: AsyncStream<WebSocketOutboundWriter.OutboundFrame>.Continuation
    private let closed = Mutex<(done: Bool, code: UInt16?, reason: String?)>((false, nil, nil))
    private let closedWaiting = Waiting<Bool>()
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    static let logger: Logger = {
        var logger = Logger(label: "ws-test-client")
        logger.logLevel = .warning
        return logger
    }()

    private init(outgoing: AsyncStream<WebSocketOutboundWriter.OutboundFrame>.Continuation) {
        self.outgoing = outgoing
    }

    /// Connects to `url`; throws when the upgrade is refused.
    static func connect(_ url: String, headers: HTTPFields = [:], tls: TLSConfiguration? = nil) async throws -> WSTestClient {
        let (stream, continuation) = AsyncStream.makeStream(of: WebSocketOutboundWriter.OutboundFrame.self)
        let client = WSTestClient(outgoing: continuation)
        let started = OneShotSignal()
        let failure = Mutex<(any Error)?>(nil)
        // An IP address cannot be a server name (SNI); the test certificate also names localhost.
        let configuration = WebSocketClientConfiguration(
            maxFrameSize: 8 << 20, additionalHeaders: headers, closeTimeout: .seconds(5),
            sniHostname: tls == nil ? nil : "localhost")
        let task = Task {
            do {
                let close = try await WebSocketClient.connect(
                    url: url, configuration: configuration, tlsConfiguration: tls, logger: logger
                ) {
                    inbound, outbound, _ in
                    started.fire()
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await frame in stream { try await outbound.write(frame) }
                            // `close()` ends the stream: start the closing handshake.
                            try await outbound.close(.normalClosure, reason: nil)
                        }
                        for try await message in inbound.messages(maxSize: 16 << 20) {
                            switch message {
                            case .text(let text): client.record(Received(text: text, binary: nil))
                            case .binary(let buffer): client.record(Received(text: nil, binary: Array(buffer.readableBytesView)))
                            }
                        }
                        group.cancelAll()
                    }
                }
                client.finish(code: close.map { UInt16(webSocketErrorCode: $0.closeCode) }, reason: close?.reason)
            } catch {
                failure.withLock { $0 = error }
                client.finish(code: nil, reason: "\(error)")
            }
            started.fire()
        }
        client.task.withLock { $0 = task }
        await started.wait()
        if let error = failure.withLock({ $0 }) { throw error }
        return client
    }

    private func record(_ message: Received) {
        received.withLock { $0.append(message) }
        waiting.offer(message)
    }

    private func finish(code: UInt16?, reason: String?) {
        closed.withLock { $0 = (true, code, reason) }
        closedWaiting.offer(true)
    }

    /// Everything received so far.
    var messages: [Received] { received.withLock { $0 } }

    /// Sends a text frame.
    func send(_ text: String) { outgoing.yield(.text(text)) }

    /// Sends a JSON object as a text frame.
    func send(json: [String: JSONValue]) { send(JSONCodec.encodeSorted(JSONValue.object(json))) }

    /// Sends a binary frame.
    func send(binary bytes: [UInt8]) { outgoing.yield(.binary(ByteBuffer(bytes: bytes))) }

    /// Waits for a message satisfying `predicate` (already received or still to come).
    func first(timeout: Duration = .seconds(20), where predicate: @escaping @Sendable (Received) -> Bool) async -> Received? {
        await waiting.wait(
            timeout: timeout, current: { [self] in received.withLock { $0.first(where: predicate) } }, matches: predicate)
    }

    /// Waits for a frame with `op` (and `key` = `value` when given).
    func frame(_ op: String, _ key: String? = nil, _ value: String? = nil, timeout: Duration = .seconds(20)) async -> Received? {
        await first(timeout: timeout) { $0.op == op && (key == nil || $0.string(key!) == value) }
    }

    /// Waits until at least `count` messages satisfy `predicate`.
    func count(
        atLeast count: Int, timeout: Duration = .seconds(30), where predicate: @escaping @Sendable (Received) -> Bool
    ) async -> Bool {
        await eventually(timeout: timeout) { self.messages.filter(predicate).count >= count }
    }

    /// Waits until the server closed the connection; its close code (nil: none was sent).
    func closeCode(timeout: Duration = .seconds(20)) async -> UInt16? {
        _ = await closedWaiting.wait(
            timeout: timeout, current: { [self] in closed.withLock { $0.done ? true : nil } }, matches: { $0 })
        return closed.withLock { $0.code }
    }

    /// True once the connection is closed.
    var isClosed: Bool { closed.withLock { $0.done } }

    /// The close reason the server sent.
    var closeReason: String? { closed.withLock { $0.reason } }

    /// Closes the connection (normal closure) and waits until it is closed.
    func close() async {
        outgoing.finish()
        _ = await closeCode(timeout: .seconds(10))
        task.withLock { $0 }?.cancel()
    }
}
