import CNATS
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// nats.c's write buffer of a connection that batches (`NATSOptions.batchWhenBusy`), written
/// with frames built here (`NATSWireFrame`): under the connection's lock, after the checks
/// nats.c's own publish makes, and flushed to the socket once per batch.
///
/// nats.c's publish with `directFlush` false would wake nats.c's flusher thread instead,
/// which sleeps 1 ms and then finds the buffer already written: two context switches for
/// nothing, about 2,000 a second per busy connection (`docs/performance.md`). Nothing here
/// wakes it, so whoever leaves a frame in the buffer sees it written: a batch flushes with
/// its last frame, and a delivery burst that held frames ends with a flush (`HandlerSink`).
final class NATSWriteBuffer: @unchecked Sendable {
    // `raw` is used only while its connection lives: its NATSConnection owns this, and a
    // delivering subscription holds a reference in nats.c. nats.c's buffer is touched only
    // under the connection's lock; `heldSince` is atomic.
    private let raw: OpaquePointer
    /// When the oldest frame still in the buffer was left there (monotonic ns); 0 for none.
    /// Set under the connection's lock; taken to 0 by whoever flushes.
    private let heldSince = Atomic<UInt64>(0)

    /// Longest a frame waits in the buffer for its burst to end. Under steady load a
    /// subscription's queue may not empty for milliseconds; nats.c's flusher, which this
    /// replaces, bounded the wait at about 1 ms.
    static let holdLimit: UInt64 = 200_000

    /// Which write buffer's subscription the current thread is delivering to.
    private static let delivering: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "no thread-specific key")
        return key
    }()

    init(raw: OpaquePointer) { self.raw = raw }

    /// True when frames wait in the buffer for the end of a delivery burst.
    var isHolding: Bool { heldSince.load(ordering: .acquiring) != 0 }

    /// True on a thread running a handler of one of this connection's subscriptions: only
    /// there may a frame stay in the buffer, since only there does something write it later.
    var isDelivering: Bool { pthread_getspecific(Self.delivering) == Unmanaged.passUnretained(self).toOpaque() }

    /// Runs a subscription handler of this connection (`isDelivering` true within).
    func delivering(_ handler: () -> Void) {
        let previous = pthread_getspecific(Self.delivering)
        pthread_setspecific(Self.delivering, Unmanaged.passUnretained(self).toOpaque())
        handler()
        pthread_setspecific(Self.delivering, previous)
    }

    /// Writes `frames` into the buffer and, with `flush`, the buffer to the socket.
    ///
    /// Returns the frames that were not written, with the reason (the closed or draining
    /// connection, a size past the server's `max_payload`, a failed write), or nil when
    /// the connection is reconnecting: nothing was written, and nats.c's own publish,
    /// which keeps messages for after the reconnect within its buffer limit, should be used.
    func write(_ frames: some Collection<NATSWireFrame>, flush: Bool) -> [(index: Int, status: natsStatus)]? {
        let limit = Int(natsConnection_GetMaxPayload(raw))
        let headers = natsConnection_HasHeaderSupport(raw) == NATS_OK
        var failed: [(index: Int, status: natsStatus)] = []
        natsConn_lockAndRetain(raw)
        defer { natsConn_unlockAndRelease(raw) }
        if natsConn_isReconnecting(raw) { return nil }
        let refused: natsStatus? =
            natsConn_isClosed(raw) ? NATS_CONNECTION_CLOSED : natsConn_isDrainingPubs(raw) ? NATS_DRAINING : nil
        var broken: natsStatus?
        var lastWritten: Int?
        for (index, frame) in frames.enumerated() {
            if let status = refused ?? broken {
                failed.append((index, status))
            } else if frame.headerLength > 0 && !headers {
                failed.append((index, NATS_NO_SERVER_SUPPORT))
            } else if frame.messageSize > limit {
                // nats.c checks only the body; the server counts the headers too and would
                // close the connection.
                failed.append((index, NATS_MAX_PAYLOAD))
            } else {
                let status = frame.withWire { wire in
                    natsConn_bufferWrite(raw, wire.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(wire.count))
                }
                if status == NATS_OK {
                    lastWritten = index
                } else {
                    broken = status
                    failed.append((index, status))
                }
            }
        }
        guard refused == nil else { return failed }
        var flush = flush
        if !flush, lastWritten != nil {
            let now = Self.now()
            let since = heldSince.load(ordering: .relaxed)
            if since == 0 {
                heldSince.store(now, ordering: .releasing)
            } else if now &- since >= Self.holdLimit {
                flush = true
            }
        }
        if flush {
            // Also writes what earlier frames of a burst left in the buffer.
            let status = natsConn_bufferFlush(raw)
            heldSince.store(0, ordering: .releasing)
            // As with nats.c's publish, the write that failed is the one that reports it; the
            // bytes stay in the buffer, which nats.c sends again after reconnecting.
            if status != NATS_OK, let lastWritten { failed.append((lastWritten, status)) }
        }
        return failed
    }

    /// Monotonic time in nanoseconds.
    private static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    /// Writes to the socket what frames a delivery burst left in the buffer, if any.
    func flushHeld() {
        guard heldSince.exchange(0, ordering: .acquiringAndReleasing) != 0 else { return }
        natsConn_lockAndRetain(raw)
        defer { natsConn_unlockAndRelease(raw) }
        // Closed: nothing can be sent. Reconnecting: nats.c moves the buffer to the
        // reconnect buffer and sends it once connected.
        guard !natsConn_isClosed(raw), !natsConn_isReconnecting(raw) else { return }
        // A failed write is the connection's failure, which nats.c's reader handles.
        _ = natsConn_bufferFlush(raw)
    }
}
