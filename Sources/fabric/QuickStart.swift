import Foundation

/// The lines `fabric up` prints once for a newcomer: a token command and a `curl` to paste.
struct QuickStart: Sendable {
    let dataDirectory: String

    /// Prints the hint for the HTTP listener at `httpURL` (blank-line separated, so the
    /// endpoint lines above stay easy to grep).
    func print(httpURL: String) {
        let binary = CommandLine.arguments.first ?? "fabric"
        let text = """

            try it (development key; tokens from `fabric token`):
              TOKEN=$(\(binary) token --sub alice --data-dir \(dataDirectory))
              curl -s -H "Authorization: Bearer $TOKEN" -d '{"hello":"fabric"}' \(httpURL)/v1/request/echo


            """
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
