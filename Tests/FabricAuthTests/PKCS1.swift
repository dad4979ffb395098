/// The integers of a PKCS#1 `RSAPrivateKey` (DER), enough to write an RSA private JWK in
/// tests; swift-crypto exports the key only as DER.
struct PKCS1 {
    /// n, e, d, p, q, dp, dq, qi, unsigned big-endian without leading zeros.
    let integers: [[UInt8]]

    init?(der: [UInt8]) {
        var index = 0
        func element(tag: UInt8) -> ArraySlice<UInt8>? {
            guard index < der.count, der[index] == tag, index + 1 < der.count else { return nil }
            index += 1
            var length = Int(der[index])
            index += 1
            if length & 0x80 != 0 {
                let count = length & 0x7F
                guard count <= 4, index + count <= der.count else { return nil }
                length = der[index..<index + count].reduce(0) { $0 << 8 | Int($1) }
                index += count
            }
            guard index + length <= der.count else { return nil }
            defer { index += length }
            return der[index..<index + length]
        }
        guard let sequence = element(tag: 0x30), sequence.endIndex == der.count else { return nil }
        index = sequence.startIndex
        var integers: [[UInt8]] = []
        while index < der.count {
            guard let integer = element(tag: 0x02) else { return nil }
            integers.append(Array(integer.drop { $0 == 0 }))
        }
        // version, then the eight numbers.
        guard integers.count == 9 else { return nil }
        self.integers = Array(integers.dropFirst())
    }
}
