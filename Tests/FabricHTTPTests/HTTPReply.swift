import FabricCore
import FabricHTTP

/// An HTTP answer as the tests read it, from any client.
struct HTTPReply: Sendable, CustomStringConvertible {
    /// Status code.
    let status: Int
    /// Header fields, names lower-cased.
    let headers: [String: String]
    /// Body.
    let body: [UInt8]
    /// `1.1` or `2`.
    let version: String

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The JSON body's top-level string member `name`.
    func field(_ name: String) -> String? {
        guard case .object(let members)? = JSONCodec.parse(body), case .string(let value)? = members[name] else { return nil }
        return value
    }

    /// The fabric outcome this answer stands for, as the conformance suite reads it.
    var outcome: ConformanceOutcomeBridge {
        ConformanceOutcomeBridge(reply: self)
    }

    var description: String { "HTTP/\(version) \(status) \(text.prefix(300))" }
}
