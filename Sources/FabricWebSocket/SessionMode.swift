/// How a connection speaks.
enum SessionMode: Sendable, Equatable {
    /// `/v1/ws`: JSON frames with an `op`.
    case frames
    /// `/v1/raw/{type}`: every frame is a payload sent as a request of `type`; the answers
    /// and the client's messages come back as plain frames.
    case raw(type: String)
}
