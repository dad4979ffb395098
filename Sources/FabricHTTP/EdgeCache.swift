import FabricCore
import FabricNATS
import Logging
import Metrics
import Synchronization

/// The edge cache of idempotent answers: an in-process LRU in front of the
/// `fabric-cache` bucket, with single flight on a miss.
///
/// Only answers that carry `Fabric-Cache` (stamped by the router from the rule) and are
/// `ok` are kept, each with its own expiry. What an answer varies by is known only from
/// the answer, so the adapter remembers it per (type, roles, tenant, forwarded headers) and looks up with
/// `principal` until told otherwise: an entry shared by everyone is therefore only ever
/// read by callers whose own earlier answer said the rule shares it.
final class EdgeCache: Sendable {
    /// How a request was served.
    enum Result<Answer: Sendable>: Sendable {
        /// From the cache (memory or bucket), no backend call.
        case hit(CachedAnswer)
        /// From another request's backend call that was in flight.
        case coalesced(CachedAnswer)
        /// This request called the backend; `stored` is what was cached, if anything.
        case fetched(Answer, stored: CachedAnswer?)
    }

    /// What the cache keeps of a backend answer.
    struct Cacheable: Sendable {
        let payload: [UInt8]
        let contentType: String?
        let policy: CachePolicy
    }

    /// What an answer says about caching.
    enum Verdict: Sendable {
        /// Keep it.
        case keep(Cacheable)
        /// An `ok` answer without `Fabric-Cache`: the route does not cache.
        case routeDoesNotCache
        /// Not this one (an error, a timeout); says nothing about the route.
        case skip
    }

    /// What this instance learned of a (type, roles, tenant) from its answers.
    private enum Hint {
        /// The route caches, varying by these claims.
        case vary([String])
        /// The route's last answer was not cacheable: no lookup, no waiting on others.
        case uncached
    }

    static let defaultVary = ["principal"]
    private static let maxHints = 10_000

    private let config: HTTPConfig.Cache
    private let bucket: KeyValue?
    private let metrics: HTTPMetrics
    private let clock: @Sendable () -> UInt64
    private let logger: Logger
    private let memory: Mutex<LRUCache<CachedAnswer>>
    private let hints = Mutex<[String: Hint]>([:])
    private let flights = SingleFlight<CachedAnswer>()

    init(
        config: HTTPConfig.Cache, bucket: KeyValue?, metrics: HTTPMetrics, clock: @escaping @Sendable () -> UInt64,
        logger: Logger
    ) {
        self.config = config
        self.bucket = config.shared ? bucket : nil
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
        memory = Mutex(LRUCache(maxEntries: config.memoryEntries, maxCost: config.memoryBytes))
    }

    /// Serves `type` asked with `query` and the `forwarded` headers by `claims` from the
    /// cache or through `fetch`.
    ///
    /// - Parameters:
    ///   - revalidate: skip lookups (the client sent `Cache-Control: no-cache`); the answer is still stored.
    ///   - cacheable: what of an answer may be cached, nil when it may not.
    func serve<Answer: Sendable>(
        type: String, query: [UInt8], forwarded: [ForwardedHeader] = [], claims: Claims, revalidate: Bool,
        fetch: () async -> Answer, cacheable: (Answer) -> Verdict
    ) async -> Result<Answer> {
        let request = Request(type: type, query: query, forwarded: forwarded, claims: claims)
        let hintKey = request.hintKey
        let vary: [String]
        switch hints.withLock({ $0[hintKey] }) {
        case .vary(let names)?:
            vary = names
        case .uncached?:
            // Identical requests to a route that does not cache would only queue behind each other.
            metrics.cacheMisses.increment()
            let answer = await fetch()
            return .fetched(answer, stored: await store(answer, request, cacheable: cacheable))
        case nil:
            vary = EdgeCache.defaultVary
        }
        let key = request.key(vary: vary)
        if !revalidate, let cached = await find(key) {
            metrics.cacheHits.increment()
            return .hit(cached)
        }
        switch await flights.join(key.digest) {
        case .follower(let shared?):
            metrics.cacheCoalesced.increment()
            return .coalesced(shared)
        case .follower(nil):
            // The leader's answer was not valid for every waiter: ask on our own.
            metrics.cacheMisses.increment()
            let answer = await fetch()
            return .fetched(answer, stored: await store(answer, request, cacheable: cacheable))
        case .leader:
            var shared: CachedAnswer?
            defer { flights.finish(key.digest, sharing: shared) }
            // A flight that ended between the lookup and the join may have stored it.
            if !revalidate, let cached = memoryLookup(key) {
                metrics.cacheHits.increment()
                shared = cached
                return .hit(cached)
            }
            metrics.cacheMisses.increment()
            let answer = await fetch()
            let stored = await store(answer, request, cacheable: cacheable)
            // Waiters share our values of `vary`; they may have the answer when it varies by no more.
            if let stored, Set(stored.vary).isSubset(of: Set(vary)) { shared = stored }
            return .fetched(answer, stored: stored)
        }
    }

    /// Requests waiting for another request's backend call.
    var coalescing: Int { flights.waiters }

    /// Entries in the in-process LRU.
    var memoryCount: Int { memory.withLock { $0.count } }

    private func store<Answer>(
        _ answer: Answer, _ request: Request, cacheable: (Answer) -> Verdict
    ) async -> CachedAnswer? {
        let keep: Cacheable
        switch cacheable(answer) {
        case .keep(let cacheable): keep = cacheable
        case .routeDoesNotCache:
            learn(.uncached, for: request)
            return nil
        case .skip:
            return nil
        }
        learn(.vary(keep.policy.vary), for: request)
        guard keep.payload.count <= config.maxEntrySize else { return nil }
        let entry = CachedAnswer(payload: keep.payload, contentType: keep.contentType, policy: keep.policy, now: clock())
        let key = request.key(vary: keep.policy.vary)
        memory.withLock { $0.set(key.digest, entry, cost: entry.payload.count) }
        metrics.cacheStores.increment()
        if let bucket {
            do {
                try await bucket.put(key.bucketKey, entry.encoded)
            } catch {
                logger.debug("cache entry not shared", metadata: ["error": "\(error)"])
            }
        }
        return entry
    }

    private func learn(_ hint: Hint, for request: Request) {
        hints.withLock { hints in
            if hints.count >= EdgeCache.maxHints { hints.removeAll(keepingCapacity: true) }
            hints[request.hintKey] = hint
        }
    }

    private func find(_ key: CacheKey) async -> CachedAnswer? {
        if let cached = memoryLookup(key) { return cached }
        guard let bucket else { return nil }
        let entry: KeyValueEntry?
        do {
            entry = try await bucket.get(key.bucketKey)
        } catch {
            logger.debug("cache bucket read failed", metadata: ["error": "\(error)"])
            return nil
        }
        guard let entry, let cached = CachedAnswer(encoded: entry.value), cached.isFresh(at: clock()) else { return nil }
        memory.withLock { $0.set(key.digest, cached, cost: cached.payload.count) }
        return cached
    }

    private func memoryLookup(_ key: CacheKey) -> CachedAnswer? {
        let now = clock()
        return memory.withLock { lru -> CachedAnswer? in
            guard let cached = lru.get(key.digest) else { return nil }
            if cached.isFresh(at: now) { return cached }
            lru.remove(key.digest)
            return nil
        }
    }

    /// What one query asks, whatever the answer varies by.
    private struct Request {
        let type: String
        let query: [UInt8]
        let forwarded: [ForwardedHeader]
        let claims: Claims

        /// The cache key when the answer varies by `vary`.
        func key(vary: [String]) -> CacheKey {
            CacheKey(type: type, query: query, forwarded: forwarded, vary: vary, claims: claims)
        }

        /// Rules usually tell callers apart by roles, tenant and forwarded headers, so what
        /// an answer varies by is remembered per (type, roles, tenant, forwarded headers).
        var hintKey: String {
            var key = type + "\u{0}" + claims.roles.sorted().joined(separator: ",") + "\u{0}" + (claims.tenant ?? "")
            for header in forwarded { key += "\u{0}" + header.name + "\u{0}" + header.value }
            return key
        }
    }
}
