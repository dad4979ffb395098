/// What an adapter waits for after publishing to `fabric.in.<type>` (header `Fabric-Expect`).
public enum Expect: String, Sendable, Hashable, CaseIterable, Codable {
    /// A plain publish: nobody waits.
    case none
    /// The router answers once the message is as safe as its route promises.
    case ack
    /// The backend's answer comes to the reply subject.
    case reply
}
