import FabricConformance
import FabricHTTP
import Foundation
import Synchronization

/// The URLs of an adapter's listeners, known once each is bound.
final class ListenerURLs: Sendable {
    private let known = Mutex<[HTTPAdapter.Listener: String]>([:])
    private let waiting = Waiting<HTTPAdapter.Listener>()

    /// Records a bound listener.
    func bound(_ listener: HTTPAdapter.Listener, _ url: String) {
        known.withLock { $0[listener] = url }
        waiting.offer(listener)
    }

    /// The URL of `listener`, waiting until it is bound.
    func url(_ listener: HTTPAdapter.Listener) async throws -> String {
        let bound = await waiting.wait(
            timeout: .seconds(30), current: { [self] in known.withLock { $0[listener] != nil ? listener : nil } },
            matches: { $0 == listener })
        guard bound != nil, let url = known.withLock({ $0[listener] }) else {
            throw HTTPTestError("the \(listener) listener never bound")
        }
        return url
    }

    /// `http://host:port` of a listener (h2c is HTTP on the wire).
    func httpURL(_ listener: HTTPAdapter.Listener) async throws -> String {
        let url = try await url(listener)
        return url.hasPrefix("h2c://") ? "http://" + url.dropFirst("h2c://".count) : url
    }

}
