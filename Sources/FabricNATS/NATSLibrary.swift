import CNATS
import FabricCore
import Synchronization

/// Process-wide nats.c settings and teardown.
public enum NATSLibrary {
    private static let poolSize = Mutex(0)

    /// Grows the shared delivery pool to at least `poolSize` threads.
    static func configure(poolSize requested: Int) {
        poolSize.withLock { current in
            guard requested > current else { return }
            if nats_SetMessageDeliveryPoolSize(Int32(requested)) == NATS_OK { current = requested }
        }
    }

    /// Releases nats.c's global resources and waits for its threads to stop.
    ///
    /// Call once at process exit, after every connection is gone, so leak checkers see a
    /// clean heap; nats.c cannot be used afterwards.
    public static func shutdown(timeout: Duration = .seconds(5)) {
        _ = nats_CloseAndWait(timeout.milliseconds)
    }

    /// The nats.c version string.
    public static var version: String { String(cString: nats_GetVersion()) }
}
