import FabricCore

/// What came of one attempt to hand a work message to its backend.
enum AttemptOutcome: Sendable, Hashable {
    /// The backend answered with this status (`ok` when it named none).
    case answered(Status, error: String?)
    /// No answer within the attempt's time.
    case timedOut
    /// Nobody subscribes to the service's subject.
    case noResponders
    /// The request could not be sent (connection closed, …).
    case failed(String)

    /// Words for `Fabric-Error` and logs.
    var description: String {
        switch self {
        case .answered(let status, let error): error.map { "\(status.rawValue): \($0)" } ?? status.rawValue
        case .timedOut: "no answer in time"
        case .noResponders: "no backend subscribed"
        case .failed(let reason): reason
        }
    }
}
