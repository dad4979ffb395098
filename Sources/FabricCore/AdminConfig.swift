/// `admin:` — the listener for `/metrics`, `/healthz`, `/readyz` and the control API.
public struct AdminConfig: Sendable, Hashable {
    /// Address to bind.
    public var host: String
    /// Port (0 = any free port).
    public var port: Int
    /// Bearer token the control API requires; nil disables the control API.
    public var token: String?

    init(reader: ConfigReader) throws(ValidationError) {
        host = try reader.string("host", default: "127.0.0.1")
        port = try reader.port("port", default: 9090)
        token = try reader.optionalString("token")
        try reader.finish()
    }
}
