import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Minimal HTTP/1.1 GET for admin endpoints in tests.
public enum HTTPProbe {
    /// Status code and body of `GET url`.
    public static func get(_ url: String, headers: [String: String] = [:]) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: URL(string: url)!)
        request.timeoutInterval = 10
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }
}
