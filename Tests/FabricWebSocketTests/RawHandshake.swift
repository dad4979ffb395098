import FabricTestSupport
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An upgrade request written by hand on a plain socket, to read what the adapter answers
/// when it refuses one (WebSocket clients only report "upgrade failed").
enum RawHandshake {
    /// The headers of a well-formed upgrade request.
    static let upgrade = [
        ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Version", "13"),
    ]

    /// The status code and body the server answered `GET path` with `upgrade` (by default a
    /// well-formed upgrade to WebSocket) and `headers`.
    static func send(
        port: Int, path: String, upgrade: [(String, String)] = upgrade, headers: [(String, String)] = []
    ) async throws -> (status: Int, body: String) {
        try await LoopbackSocket.offPool { try blockingSend(port: port, path: path, headers: upgrade + headers) }
    }

    /// Connects and sends nothing (shutting its sending side when `halfClose`): true when the
    /// server then closes the connection (within ten seconds).
    static func isClosedWhenSilent(port: Int, halfClose: Bool) async throws -> Bool {
        try await LoopbackSocket.offPool {
            let fd = try LoopbackSocket.connect(port: port)
            defer { close(fd) }
            if halfClose { shutdown(fd, Int32(SHUT_WR)) }
            return readsToEnd(fd)
        }
    }

    /// Sends a well-formed upgrade request with `headers`, then shuts its sending side: true
    /// when the server closes the connection (within ten seconds), whatever it answered first.
    static func isClosedAfterUpgradeAndHalfClose(port: Int, headers: [(String, String)]) async throws -> Bool {
        try await LoopbackSocket.offPool {
            let fd = try LoopbackSocket.connect(port: port)
            defer { close(fd) }
            write(request(port: port, path: "/v1/ws", headers: upgrade + headers), to: fd)
            shutdown(fd, Int32(SHUT_WR))
            return readsToEnd(fd)
        }
    }

    private static func request(port: Int, path: String, headers: [(String, String)]) -> String {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        return request + "\r\n"
    }

    private static func write(_ text: String, to fd: Int32) {
        _ = text.utf8CString.withUnsafeBufferPointer { Glibc.send(fd, $0.baseAddress, $0.count - 1, 0) }
    }

    /// Reads (and drops) what comes until the server closes: true, or false when the read
    /// times out first.
    private static func readsToEnd(_ fd: Int32) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count == 0 { return true }
            if count < 0 { return false }
        }
    }

    private static func blockingSend(port: Int, path: String, headers: [(String, String)]) throws -> (status: Int, body: String) {
        let fd = try LoopbackSocket.connect(port: port)
        defer { close(fd) }
        write(request(port: port, path: path, headers: headers), to: fd)
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 { break }
            response += chunk[0..<count]
            if let text = String(bytes: response, encoding: .utf8), let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound].lowercased()
                let length =
                    head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.count - text.utf8.distance(from: text.startIndex, to: end.upperBound) >= length { break }
            }
        }
        let text = String(decoding: response, as: UTF8.self)
        let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, body)
    }
}
