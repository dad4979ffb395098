import Synchronization

/// What `/readyz` reports: each component says whether it is ready, and why not.
///
/// The process is ready when every registered component is; `/healthz` only says the
/// process is alive and serving.
public final class Readiness: Sendable {
    private let state = Mutex<[String: String?]>([:])

    /// Creates an empty set (ready, as nothing is pending).
    public init() {}

    /// Registers `component` as not ready yet.
    public func register(_ component: String, reason: String = "starting") {
        state.withLock { $0[component] = .some(reason) }
    }

    /// Marks `component` ready.
    public func ready(_ component: String) {
        state.withLock { $0[component] = .some(nil) }
    }

    /// Marks `component` not ready, with the reason shown by `/readyz`.
    public func notReady(_ component: String, reason: String) {
        state.withLock { $0[component] = .some(reason) }
    }

    /// True when every component is ready.
    public var isReady: Bool { state.withLock { $0.values.allSatisfy { $0 == nil } } }

    /// One line per component: `name ok` or `name: reason`.
    public var report: String {
        state.withLock { components in
            components.keys.sorted().map { name in
                if let reason = components[name] ?? nil { return "\(name): \(reason)" }
                return "\(name) ok"
            }.joined(separator: "\n")
        }
    }
}
