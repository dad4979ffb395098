import Crypto
import Synchronization

/// Message ids: time-sortable and unique (ULID layout), or derived from an idempotency key.
///
/// A generated id is 26 Crockford base32 characters: 48 bits of milliseconds since the
/// epoch, then 80 bits that are random at each new millisecond and incremented within
/// one, so ids from one process sort in creation order. A derived id is `K` followed by
/// 25 characters of SHA-256 over (principal, key): the same pair always gives the same
/// id, so JetStream's de-duplication window catches a client's retry, and no caller can
/// choose a key that collides with another principal's.
public enum FabricID {
    /// Length of every id.
    public static let length = 26

    private static let alphabet: [UInt8] = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    private static let state = Mutex(GeneratorState())

    private struct GeneratorState {
        var lastMillis: UInt64 = 0
        var high: UInt16 = 0
        var low: UInt64 = 0
    }

    /// A new unique id for a message created at `millis` (milliseconds since the epoch).
    public static func generate(millis: UInt64 = WallClock.nowMillis()) -> String {
        let (time, high, low) = state.withLock { state -> (UInt64, UInt16, UInt64) in
            if millis > state.lastMillis {
                var generator = PooledRandom()
                state.lastMillis = millis
                state.high = UInt16.random(in: 0...UInt16.max, using: &generator)
                // Leave headroom so increments within one millisecond never wrap.
                state.low = UInt64.random(in: 0...UInt64.max, using: &generator) >> 1
            } else {
                state.low &+= 1
                if state.low == 0 { state.high &+= 1 }
            }
            return (state.lastMillis, state.high, state.low)
        }
        return encode(time: time, high: high, low: low)
    }

    /// The id derived from an idempotency key sent by `principal`.
    public static func derived(principal: String, key: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Array("fabric-idempotency\u{0}".utf8))
        hasher.update(data: Array(principal.utf8))
        hasher.update(data: [0])
        hasher.update(data: Array(key.utf8))
        let digest = Array(hasher.finalize())
        var output = [UInt8](repeating: 0, count: length)
        output[0] = UInt8(ascii: "K")
        // 25 characters × 5 bits = 125 bits taken from the front of the digest.
        var accumulator: UInt32 = 0
        var bits = 0
        var byteIndex = 0
        for position in 1..<length {
            while bits < 5 {
                accumulator = (accumulator << 8) | UInt32(digest[byteIndex])
                byteIndex += 1
                bits += 8
            }
            bits -= 5
            output[position] = alphabet[Int((accumulator >> UInt32(bits)) & 31)]
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The creation time of a generated id, in milliseconds since the epoch; nil for
    /// derived or malformed ids.
    public static func timestamp(of id: String) -> UInt64? {
        guard isValid(id), id.utf8.first != UInt8(ascii: "K") else { return nil }
        var value: UInt64 = 0
        for byte in id.utf8.prefix(10) {
            guard let digit = decodeTable[Int(byte)] else { return nil }
            value = value << 5 | UInt64(digit)
        }
        return value
    }

    /// True when `id` has the shape of a fabric id (26 Crockford base32 characters).
    public static func isValid(_ id: String) -> Bool {
        let bytes = id.utf8
        guard bytes.count == length else { return false }
        if let first = bytes.first, first != UInt8(ascii: "K"), first > UInt8(ascii: "7") { return false }
        return bytes.allSatisfy { decodeTable[Int($0)] != nil }
    }

    private static let decodeTable: [UInt8?] = {
        var table = [UInt8?](repeating: nil, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    private static func encode(time: UInt64, high: UInt16, low: UInt64) -> String {
        // 128 bits: 48 time | 16 high | 64 low, written as 26 characters (2 leading zero bits).
        let upper: UInt64 = (time << 16) | UInt64(high)  // top 64 bits
        return String(unsafeUninitializedCapacity: length) { buffer in
            for position in 0..<length {
                let shift = 125 - position * 5  // bit offset from the least significant end
                let value: UInt64
                if shift >= 64 {
                    value = upper >> UInt64(shift - 64)
                } else if shift > 59 {
                    value = (upper << UInt64(64 - shift)) | (low >> UInt64(shift))
                } else {
                    value = low >> UInt64(shift)
                }
                buffer[position] = alphabet[Int(value & 31)]
            }
            return length
        }
    }
}
