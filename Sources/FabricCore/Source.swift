/// The protocol a message entered the fabric through.
public enum Source: String, Sendable, Hashable, CaseIterable, Codable {
    /// HTTP/1.1.
    case http
    /// HTTP/2.
    case h2
    /// WebSocket.
    case ws
    /// gRPC.
    case grpc
    /// MQTT.
    case mqtt
    /// A fabric role or backend.
    case `internal`
}
