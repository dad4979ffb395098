import FabricTestSupport
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A NATS client written by hand on a plain socket: publishes header blocks exactly as
/// given, the way another client library (or a misbehaving one) may send them.
enum RawNATSPublisher {
    /// Sends each `(subject, reply, header block, payload)` as one `HPUB` and returns once the
    /// server has answered a PING sent after them (so every message has been routed).
    static func publish(port: Int, _ messages: [(String, String?, String, String)]) async throws {
        try await LoopbackSocket.offPool { try blockingPublish(port: port, messages) }
    }

    private static func blockingPublish(port: Int, _ messages: [(String, String?, String, String)]) throws {
        let fd = try LoopbackSocket.connect(port: port)
        defer { close(fd) }
        var wire = "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"protocol\":1}\r\n"
        for (subject, reply, block, payload) in messages {
            let total = block.utf8.count + payload.utf8.count
            wire += "HPUB \(subject) \(reply.map { "\($0) " } ?? "")\(block.utf8.count) \(total)\r\n\(block)\(payload)\r\n"
        }
        wire += "PING\r\n"
        _ = Array(wire.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: received, as: UTF8.self).contains("PONG\r\n") {
            let count = recv(fd, &chunk, chunk.count, 0)
            guard count > 0 else { throw POSIXError(.ETIMEDOUT) }
            received += chunk[0..<count]
            if String(decoding: received, as: UTF8.self).contains("-ERR") { throw POSIXError(.EPROTO) }
        }
    }
}
