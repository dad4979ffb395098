import AsyncHTTPClient
import FabricCore
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Keys from a JWKS URL: fetched at start, again every `jwks_refresh`, and again when a
/// token names a `kid` we do not have (at most once per `jwks_min_interval`).
///
/// A failed fetch keeps the last good set. Concurrent callers of `refresh()` share one
/// fetch. As a `Service`, it runs the periodic refresh until graceful shutdown.
public actor RemoteKeySet: Service {
    /// Largest JWKS body read.
    static let maximumBodySize = 1 << 20

    /// The URL fetched.
    public nonisolated let url: String
    private let config: AuthConfig
    private let httpClient: HTTPClient
    private let logger: Logger
    private let onChange: @Sendable (KeySet) -> Void

    /// The keys in force.
    public private(set) var keys: KeySet = .empty
    private var lastBody: [UInt8]?
    private var lastAttempt: ContinuousClock.Instant?
    private var waiters: [CheckedContinuation<Void, Never>]?
    private var lastOutcome: Result<KeySet, JWKSFetchError> = .success(.empty)
    private let fetches: Counter
    private let failures: Counter

    /// Creates the set; nothing is fetched until `refresh()` or `run()`.
    ///
    /// - Parameter onChange: called with the new set whenever a fetch brings different keys.
    public init(
        url: String, config: AuthConfig, httpClient: HTTPClient = .shared, logger: Logger,
        onChange: @escaping @Sendable (KeySet) -> Void = { _ in }
    ) {
        self.url = url
        self.config = config
        self.httpClient = httpClient
        self.logger = logger
        self.onChange = onChange
        fetches = Counter(label: "fabric_auth_jwks_fetches_total", dimensions: [("result", "ok")])
        failures = Counter(label: "fabric_auth_jwks_fetches_total", dimensions: [("result", "error")])
    }

    /// Fetches the URL now and returns the keys in force afterwards; throws when the fetch
    /// failed (the previous keys stay in force).
    @discardableResult
    public func refresh() async throws(JWKSFetchError) -> KeySet {
        if waiters != nil {
            // A fetch is under way: wait for it rather than start another.
            await withCheckedContinuation { waiters?.append($0) }
            return try lastOutcome.get()
        }
        waiters = []
        lastAttempt = .now
        let outcome = await fetch()
        lastOutcome = outcome
        switch outcome {
        case .success(let fresh):
            keys = fresh
            fetches.increment()
        case .failure(let error):
            failures.increment()
            logger.warning("JWKS fetch failed; keeping the last good keys", metadata: ["error": "\(error)"])
        }
        let waiting = waiters ?? []
        waiters = nil
        for waiter in waiting { waiter.resume() }
        return try outcome.get()
    }

    /// The keys after a token named the unknown `kid`: fetched again unless a fetch was
    /// made less than `jwks_min_interval` ago, so forged kids cannot flood the URL.
    func keys(afterUnknown kid: String) async -> KeySet {
        if waiters == nil, let lastAttempt, ContinuousClock.now - lastAttempt < config.jwksMinInterval {
            return keys
        }
        logger.debug("unknown kid; fetching the JWKS again", metadata: ["kid": "\(AuthError.shown(kid))"])
        _ = try? await refresh()
        return keys
    }

    /// Callers waiting for a fetch under way (tests watch it to know they coalesced).
    var waitingCount: Int { waiters?.count ?? 0 }

    /// Refreshes every `jwks_refresh` until cancelled or shut down gracefully.
    public nonisolated func run() async throws {
        let interval = config.jwksRefresh
        await cancelWhenGracefulShutdown {
            while true {
                do { try await Task.sleep(for: interval) } catch { return }
                _ = try? await self.refresh()
            }
        }
    }

    private func fetch() async -> Result<KeySet, JWKSFetchError> {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/jwk-set+json, application/json")
        let body: [UInt8]
        do {
            let timeout = TimeAmount.nanoseconds(Int64(config.jwksTimeout.inSeconds * 1e9))
            let response = try await httpClient.execute(request, timeout: timeout, logger: logger)
            // AsyncHTTPClient follows redirects, https to http included: keys that came
            // over clear text from elsewhere than this machine are not trusted.
            for hop in response.history {
                if let problem = AuthConfig.problem(withJWKSURL: hop.request.url) {
                    return .failure(JWKSFetchError(url: url, reason: "redirected: \(problem)"))
                }
            }
            guard response.status.code == 200 else {
                return .failure(JWKSFetchError(url: url, reason: "HTTP \(response.status.code)"))
            }
            let buffer = try await response.body.collect(upTo: RemoteKeySet.maximumBodySize)
            body = Array(buffer.readableBytesView)
        } catch {
            return .failure(JWKSFetchError(url: url, reason: "\(error)"))
        }
        // An unchanged document needs no parsing and no log line.
        if body == lastBody { return .success(keys) }
        let fresh: KeySet
        do {
            fresh = try await KeySet(jwks: body, source: url, config: config, strict: false)
        } catch {
            return .failure(JWKSFetchError(url: url, reason: error.path == url ? error.reason : error.description))
        }
        lastBody = body
        for refused in fresh.refused {
            logger.warning("JWKS key left out", metadata: ["reason": "\(refused)"])
        }
        logger.info("JWKS keys loaded", metadata: ["url": "\(url)", "kids": "\(fresh.keyIDs.joined(separator: ","))"])
        onChange(fresh)
        return .success(fresh)
    }
}
