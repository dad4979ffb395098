/// Why a message left `FABRIC_WORK` without success (`Fabric-DLQ-Reason`).
public enum DeadLetterReason: String, Sendable, Hashable, CaseIterable, Codable {
    /// The backend answered a terminal status (`error`, `rejected`, `not-found`, …);
    /// `Fabric-Status` and `Fabric-Error` say which and why.
    case error
    /// The last attempt the retry policy allows failed retryably (`retry`, a timeout, no
    /// responders).
    case maxAttempts = "max-attempts"
    /// The message's `Fabric-Deadline` passed before it could succeed.
    case expired
}
