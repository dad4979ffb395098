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
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try blockingPublish(port: port, messages) })
            }
        }
    }

    private static func blockingPublish(port: Int, _ messages: [(String, String?, String, String)]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
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
