/// `up:` — how `fabric up` runs its own nats-server.
public struct UpConfig: Sendable, Hashable {
    /// The nats-server binary.
    public var natsServer: String
    /// Client port of the child nats-server.
    public var natsPort: Int
    /// Where the child keeps JetStream data.
    public var dataDir: String

    init(reader: ConfigReader) throws(ValidationError) {
        natsServer = try reader.string("nats_server", default: "nats-server")
        natsPort = try reader.port("nats_port", default: 4222)
        dataDir = try reader.string("data_dir", default: ".fabric/data")
        try reader.finish()
    }
}
