import FabricTestSupport

/// The WebSocket tests' peer: `peers/wspeer.py` (`websockets` or a hand-written client).
typealias Peer = PythonPeer

extension PythonPeer {
    /// Starts `wspeer.py MODE ARGUMENTS…`.
    static func start(_ arguments: [String]) throws -> PythonPeer {
        try start(script: "Tests/FabricWebSocketTests/peers/wspeer.py", arguments)
    }
}
