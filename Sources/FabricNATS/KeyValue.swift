import CNATS
import FabricCore
import Foundation
import Synchronization

/// A Key-Value bucket's configuration.
public struct KeyValueConfig: Sendable, Hashable {
    /// Bucket name.
    public var bucket: String
    /// Free text.
    public var description: String?
    /// Revisions kept per key (1–64).
    public var history: UInt8 = 1
    /// Age after which values disappear; zero keeps them. Bucket-wide in nats-server 2.9.
    public var ttl: Duration = .zero
    /// Largest value; -1 unlimited.
    public var maxValueSize: Int32 = -1
    /// Largest bucket; -1 unlimited.
    public var maxBytes: Int64 = -1
    /// Keep values in memory instead of on disk.
    public var inMemory: Bool = false
    /// Copies in a cluster.
    public var replicas: Int = 1

    /// Creates a configuration.
    public init(bucket: String) { self.bucket = bucket }
}

/// One value (or deletion) of a key.
public struct KeyValueEntry: Sendable, Hashable {
    /// What happened to the key.
    public enum Operation: Sendable, Hashable {
        /// A value was put.
        case put
        /// The key was deleted.
        case delete
        /// The key and its history were purged.
        case purge
    }

    /// Bucket name.
    public var bucket: String
    /// Key.
    public var key: String
    /// Value bytes (empty for deletions).
    public var value: [UInt8]
    /// Revision (the backing stream's sequence).
    public var revision: UInt64
    /// Time written, nanoseconds since the epoch.
    public var created: Int64
    /// Put, delete or purge.
    public var operation: Operation

    init(_ raw: OpaquePointer) {
        bucket = String(cString: kvEntry_Bucket(raw))
        key = String(cString: kvEntry_Key(raw))
        let length = Int(kvEntry_ValueLen(raw))
        if length > 0, let bytes = kvEntry_Value(raw) {
            value = Array(UnsafeRawBufferPointer(start: bytes, count: length))
        } else {
            value = []
        }
        revision = kvEntry_Revision(raw)
        created = kvEntry_Created(raw)
        operation =
            switch kvEntry_Operation(raw) {
            case kvOp_Delete: .delete
            case kvOp_Purge: .purge
            default: .put
            }
    }

    /// The value as UTF-8 text.
    public var text: String { String(decoding: value, as: UTF8.self) }
}

/// What a watch delivers.
public enum KeyValueUpdate: Sendable, Hashable {
    /// A current value (first the latest of every watched key, then live changes).
    case entry(KeyValueEntry)
    /// Every value present when the watch started has been delivered.
    case caughtUp
}

/// A Key-Value bucket.
///
/// `@unchecked Sendable`: nats.c's `kvStore` is safe to use from any thread and is
/// destroyed once, in `deinit`. Its calls block, so they run off the cooperative pool.
public final class KeyValue: @unchecked Sendable {
    let raw: OpaquePointer
    /// Keeps the context alive.
    public let jetStream: JetStream
    /// Bucket name.
    public let bucket: String

    init(raw: OpaquePointer, jetStream: JetStream, bucket: String) {
        self.raw = raw
        self.jetStream = jetStream
        self.bucket = bucket
    }

    deinit { kvStore_Destroy(raw) }

    /// The current value of `key`, or nil when absent or deleted.
    public func get(_ key: String) async throws(NATSError) -> KeyValueEntry? {
        let store = UnsafeSendable(raw)
        return try await Blocking.run { () throws(NATSError) -> KeyValueEntry? in
            var entry: OpaquePointer?
            let status = kvStore_Get(&entry, store.value, key)
            if status == NATS_NOT_FOUND { return nil }
            guard status == NATS_OK, let entry else { throw NATSError(status: status, context: "kv get \(key)") }
            defer { kvEntry_Destroy(entry) }
            return KeyValueEntry(entry)
        }
    }

    /// Writes `value`; returns the new revision.
    @discardableResult
    public func put(_ key: String, _ value: [UInt8]) async throws(NATSError) -> UInt64 {
        try await write("kv put \(key)") { store, revision in
            value.withUnsafeBytes { kvStore_Put(revision, store, key, $0.baseAddress, Int32($0.count)) }
        }
    }

    /// Writes `value` only when the key has no live value; returns the new revision.
    @discardableResult
    public func create(_ key: String, _ value: [UInt8]) async throws(NATSError) -> UInt64 {
        try await write("kv create \(key)") { store, revision in
            value.withUnsafeBytes { kvStore_Create(revision, store, key, $0.baseAddress, Int32($0.count)) }
        }
    }

    /// Writes `value` only when the key is still at `lastRevision`; returns the new revision.
    @discardableResult
    public func update(_ key: String, _ value: [UInt8], lastRevision: UInt64) async throws(NATSError) -> UInt64 {
        try await write("kv update \(key)") { store, revision in
            value.withUnsafeBytes { kvStore_Update(revision, store, key, $0.baseAddress, Int32($0.count), lastRevision) }
        }
    }

    /// Deletes `key` (a delete marker; history stays until purged).
    public func delete(_ key: String) async throws(NATSError) {
        let store = UnsafeSendable(raw)
        let status = await Blocking.run { kvStore_Delete(store.value, key) }
        try check(status, "kv delete \(key)")
    }

    /// Removes `key` and its history.
    public func purge(_ key: String) async throws(NATSError) {
        let store = UnsafeSendable(raw)
        let status = await Blocking.run { kvStore_Purge(store.value, key, nil) }
        try check(status, "kv purge \(key)")
    }

    /// Every key with a live value.
    public func keys() async throws(NATSError) -> [String] {
        let store = UnsafeSendable(raw)
        return try await Blocking.run { () throws(NATSError) -> [String] in
            var list = kvKeysList()
            let status = kvStore_Keys(&list, store.value, nil)
            if status == NATS_NOT_FOUND { return [] }
            try check(status, "kv keys")
            defer { kvKeysList_Destroy(&list) }
            return (0..<Int(list.Count)).compactMap { optionalString(list.Keys[$0]) }
        }
    }

    /// Watches `key` (NATS wildcards allowed) or, when nil, the whole bucket.
    ///
    /// Delivers the current value of every matching key, then `.caughtUp`, then each
    /// change. Ending the iteration stops the watch.
    public func watch(_ key: String? = nil) throws(NATSError) -> AsyncStream<KeyValueUpdate> {
        var created: OpaquePointer?
        let status = key.map { kvStore_Watch(&created, raw, $0, nil) } ?? kvStore_WatchAll(&created, raw, nil)
        guard status == NATS_OK, let created else { throw NATSError(status: status, context: "kv watch \(key ?? ">")") }
        let watcher = UnsafeSendable(created)
        let (stream, continuation) = AsyncStream.makeStream(of: KeyValueUpdate.self, bufferingPolicy: .bufferingNewest(1024))
        // Stopping deletes the watch's consumer, a JetStream API call that blocks for the
        // API timeout while the connection is down: then the watch's own thread does it, so
        // whoever ends the iteration (a shutdown) does not wait for it.
        let stop = WatchStop()
        let connection = jetStream.connection
        continuation.onTermination = { _ in
            if connection.isConnected {
                kvWatcher_Stop(watcher.value)
            } else {
                stop.requested.store(true, ordering: .releasing)
            }
        }
        // kvWatcher_Next blocks; a dedicated thread keeps it off the cooperative and
        // dispatch pools for the life of the watch. It holds `self` so the store outlives it.
        let thread = Thread { [self] in
            withExtendedLifetime(self) {
                while true {
                    if stop.requested.load(ordering: .acquiring) {
                        kvWatcher_Stop(watcher.value)
                        break
                    }
                    var entry: OpaquePointer?
                    let next = kvWatcher_Next(&entry, watcher.value, 250)
                    if next == NATS_TIMEOUT { continue }
                    guard next == NATS_OK else { break }
                    if let entry {
                        continuation.yield(.entry(KeyValueEntry(entry)))
                        kvEntry_Destroy(entry)
                    } else {
                        continuation.yield(.caughtUp)
                    }
                }
                continuation.finish()
                kvWatcher_Destroy(watcher.value)
            }
        }
        thread.name = "fabric-kv-watch-\(bucket)"
        thread.start()
        return stream
    }

    private func write(
        _ context: String, _ body: @escaping @Sendable (OpaquePointer, UnsafeMutablePointer<UInt64>) -> natsStatus
    ) async throws(NATSError) -> UInt64 {
        let store = UnsafeSendable(raw)
        return try await Blocking.run { () throws(NATSError) -> UInt64 in
            var revision: UInt64 = 0
            let status = body(store.value, &revision)
            try check(status, context)
            return revision
        }
    }
}

extension JetStream {
    /// Creates the bucket, or binds to it when it exists (with any configuration).
    public func ensureKeyValue(_ config: KeyValueConfig) async throws(NATSError) -> KeyValue {
        let context = UnsafeSendable(raw)
        let store = try await Blocking.run { () throws(NATSError) -> UnsafeSendable<OpaquePointer> in
            let arena = CStringArena()
            var cConfig = kvConfig()
            kvConfig_Init(&cConfig)
            cConfig.Bucket = arena.string(config.bucket)
            cConfig.Description = arena.optional(config.description)
            cConfig.History = config.history
            cConfig.TTL = config.ttl.nanoseconds
            cConfig.MaxValueSize = config.maxValueSize
            cConfig.MaxBytes = config.maxBytes
            cConfig.StorageType = config.inMemory ? js_MemoryStorage : js_FileStorage
            cConfig.Replicas = Int32(config.replicas)
            var store: OpaquePointer?
            var status = withExtendedLifetime(arena) { js_CreateKeyValue(&store, context.value, &cConfig) }
            if status != NATS_OK {
                // An existing bucket with another configuration: use it as it is; its
                // settings are the operator's to change.
                status = js_KeyValue(&store, context.value, config.bucket)
            }
            guard status == NATS_OK, let store else { throw NATSError(status: status, context: "ensure bucket \(config.bucket)") }
            return UnsafeSendable(store)
        }
        return KeyValue(raw: store.value, jetStream: self, bucket: config.bucket)
    }

    /// Binds to an existing bucket.
    public func keyValue(_ bucket: String) async throws(NATSError) -> KeyValue {
        let context = UnsafeSendable(raw)
        let store = try await Blocking.run { () throws(NATSError) -> UnsafeSendable<OpaquePointer> in
            var store: OpaquePointer?
            let status = js_KeyValue(&store, context.value, bucket)
            guard status == NATS_OK, let store else { throw NATSError(status: status, context: "open bucket \(bucket)") }
            return UnsafeSendable(store)
        }
        return KeyValue(raw: store.value, jetStream: self, bucket: bucket)
    }
}

/// Set when a watch's iteration ends; its thread stops the watch.
final class WatchStop: Sendable {
    let requested = Atomic<Bool>(false)
}
