import FabricConformance
import Synchronization

/// The adapter's listener URL once it is bound.
final class URLBox: Sendable {
    private let value = Mutex<String?>(nil)
    private let waiting = Waiting<String>()

    func set(_ url: String) {
        value.withLock { $0 = url }
        waiting.offer(url)
    }

    /// The URL, waiting until the listener is bound.
    func get() async throws -> String {
        guard
            let url = await waiting.wait(
                timeout: .seconds(30), current: { [self] in value.withLock { $0 } }, matches: { _ in true })
        else { throw WSTestError("the WebSocket listener never bound") }
        return url
    }

    /// The port of the URL.
    func port() async throws -> Int {
        guard let port = try await get().split(separator: ":").last.flatMap({ Int($0) }) else {
            throw WSTestError("no port in the listener URL")
        }
        return port
    }
}
