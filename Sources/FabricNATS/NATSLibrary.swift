import CNATS
import FabricCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Process-wide nats.c settings and teardown.
public enum NATSLibrary {
    private static let poolSize = Mutex(0)

    /// nats.c's lock spin count: `FABRIC_NATS_LOCK_SPIN`, else none.
    ///
    /// By default nats.c tries a contended lock 2,000 times before it sleeps. Where the
    /// threads outnumber the cores (NIO's event loops, the cooperative pool and nats.c's own
    /// threads on two cores), the holder is usually not running, so the spin only burns the
    /// time it waits for: `perf` of an HTTP request/reply run put 7.5 % of the process in
    /// `natsMutex_Lock`.
    static let lockSpinCount: Int64 = {
        if let value = getenv("FABRIC_NATS_LOCK_SPIN").flatMap({ Int64(String(cString: $0)) }) { return value }
        return 0
    }()

    /// Opens nats.c once, before anything else touches it (any nats.c call would open it
    /// with the default spin count).
    static let opened: Void = { _ = nats_Open(lockSpinCount) }()

    /// Grows the shared delivery pool to at least `poolSize` threads.
    static func configure(poolSize requested: Int) {
        _ = opened
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
