/// Partition choice that is stable across processes, machines and versions.
///
/// The key's UTF-8 bytes go through FNV-1a (64 bit) and a SplitMix64 finaliser, then
/// Lamping and Veach's jump consistent hash picks a bucket: growing from n to n+1
/// buckets moves only 1/(n+1) of the keys. Swift's `Hasher` is seeded per process and
/// must never be used for this.
public enum JumpHash {
    /// The 64-bit hash of `key`.
    public static func hash(_ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        // FNV alone mixes the high bits poorly for short keys; finalise like SplitMix64.
        hash ^= hash >> 30
        hash = hash &* 0xbf58_476d_1ce4_e5b9
        hash ^= hash >> 27
        hash = hash &* 0x94d0_49bb_1331_11eb
        hash ^= hash >> 31
        return hash
    }

    /// The bucket in `0..<buckets` for `key`.
    public static func bucket(_ key: String, buckets: Int) -> Int {
        bucket(hash: hash(key), buckets: buckets)
    }

    /// Jump consistent hash of a 64-bit key.
    public static func bucket(hash: UInt64, buckets: Int) -> Int {
        precondition(buckets > 0, "at least one bucket")
        var key = hash
        var chosen: Int64 = -1
        var next: Int64 = 0
        while next < Int64(buckets) {
            chosen = next
            key = key &* 2_862_933_555_777_941_757 &+ 1
            next = Int64(Double(chosen + 1) * (Double(1 << 31) / Double((key >> 33) + 1)))
        }
        return Int(chosen)
    }
}
