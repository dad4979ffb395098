import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Kernel randomness read 512 bytes at a time, for ids and trace contexts.
///
/// `SystemRandomNumberGenerator` makes a `getrandom` system call for every 8 bytes: five
/// per HTTP request through `fabric up` (trace and span ids, message ids), each a few
/// microseconds of kernel time on this machine. `/dev/urandom` is the same kernel CSPRNG,
/// only read in bulk; the process never forks without exec, so no copy is shared.
public struct PooledRandom: RandomNumberGenerator {
    private static let pool = Mutex(Pool())

    private struct Pool: ~Copyable {
        var words = [UInt64](repeating: 0, count: 64)
        var next = 64
        /// `/dev/urandom`, opened on first use (Swift's Glibc module does not declare `getrandom`).
        var device: Int32 = -2

        mutating func take() -> UInt64 {
            if next == words.count {
                refill()
                next = 0
            }
            defer { next += 1 }
            return words[next]
        }

        private mutating func refill() {
            if device == -2 { device = open("/dev/urandom", O_RDONLY | O_CLOEXEC) }
            let source = device
            let filled = words.withUnsafeMutableBytes { bytes -> Bool in
                guard source >= 0, let base = bytes.baseAddress else { return false }
                return read(source, base, bytes.count) == bytes.count
            }
            guard !filled else { return }
            // A short read (interrupted, or no getrandom): the standard generator, word by word.
            var system = SystemRandomNumberGenerator()
            for index in words.indices { words[index] = system.next() }
        }
    }

    /// A generator drawing from the process-wide pool.
    public init() {}

    public mutating func next() -> UInt64 {
        PooledRandom.pool.withLock { $0.take() }
    }
}
