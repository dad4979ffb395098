import CNATS

/// Frees nats.c messages on the calling thread.
///
/// nats.c hands every destroyed message to its garbage-collector thread and wakes that
/// thread when it sleeps. On a busy request path the collector sleeps between messages, so
/// each destroy costs a futex wake-up and two context switches: `perf` of `fabric up` under
/// HTTP load put 63 of 80 sampled condition signals in `natsGC_collect` and 7–9 % of the
/// process in the collector's thread. Freeing a message is a couple of `free` calls, far
/// cheaper than the hand-off.
enum NATSMessageMemory {
    /// Destroys `message` at once (nats.c 3.4.x) or through nats.c's collector (other versions).
    @inline(__always)
    static func destroy(_ message: OpaquePointer) {
        if NATSWireMessage.isAvailable {
            // A natsMsg starts with its natsGCItem { next, freeCb } in every nats.c release;
            // natsGC_collect declines an item without freeCb and natsMsg_Destroy then frees it.
            UnsafeMutableRawPointer(message).storeBytes(
                of: nil, toByteOffset: MemoryLayout<UnsafeRawPointer>.stride, as: UnsafeRawPointer?.self)
        }
        natsMsg_Destroy(message)
    }
}
