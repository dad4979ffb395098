import Foundation

/// JSON helpers shared by the envelope, the frames and the rules.
public enum JSONCodec {
    /// Parses JSON text into a value, or nil when it is not JSON.
    public static func parse(_ text: String) -> JSONValue? {
        parse(Array(text.utf8))
    }

    /// Parses JSON bytes into a value, or nil when they are not JSON.
    public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> JSONValue? {
        if let parsed = bytes.withContiguousStorageIfAvailable({ JSONParser.parse(UnsafeRawBufferPointer($0)) }) {
            return parsed
        }
        return Array(bytes).withUnsafeBytes { JSONParser.parse($0) }
    }

    /// Compact JSON with sorted keys, written without Foundation's encoder (`JSONWriter`).
    public static func encodeSorted(_ value: JSONValue) -> String {
        String(decoding: JSONWriter.sorted(value), as: UTF8.self)
    }

    /// Compact JSON with sorted keys, so equal values encode to equal strings.
    public static func encodeSorted<Value: Encodable>(_ value: Value) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }
}
