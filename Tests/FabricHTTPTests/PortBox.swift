import Synchronization

/// The admin port once known.
final class PortBox: Sendable {
    private let port = Mutex<Int?>(nil)

    func set(_ value: Int) { port.withLock { $0 = value } }
    func get() -> Int? { port.withLock { $0 } }
}
