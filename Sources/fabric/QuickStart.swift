import FabricHTTP
import Foundation
import Synchronization

/// The lines `fabric up` prints once for a newcomer: a token command and a `curl` to
/// paste, after every HTTP endpoint line, so the endpoint lines stay together.
final class QuickStart: Sendable {
    private let dataDirectory: String
    private let state: Mutex<(pending: Int, url: String?)>

    /// Prints once `listeners` listeners are bound.
    init(dataDirectory: String, listeners: Int) {
        self.dataDirectory = dataDirectory
        state = Mutex((listeners, nil))
    }

    /// One listener is bound at `url`.
    func bound(_ listener: HTTPAdapter.Listener, _ url: String) {
        let ready = state.withLock { state -> String? in
            if listener == .http || (listener == .https && state.url == nil) { state.url = url }
            state.pending -= 1
            return state.pending == 0 ? state.url : nil
        }
        if let ready { print(url: ready) }
    }

    private func print(url: String) {
        let binary = CommandLine.arguments.first ?? "fabric"
        let insecure = url.hasPrefix("https") ? " -k" : ""
        let text = """

            try it (development key; tokens from `fabric token`):
              TOKEN=$(\(binary) token --sub alice --data-dir \(dataDirectory))
              curl -s\(insecure) -H "Authorization: Bearer $TOKEN" -d '{"hello":"fabric"}' \(url)/v1/request/echo

            """
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
