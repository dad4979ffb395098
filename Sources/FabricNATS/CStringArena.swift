#if canImport(Glibc)
import Glibc
#endif

/// C strings that must outlive one nats.c call (config structs hold bare pointers).
final class CStringArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    /// A NUL-terminated copy of `text`, freed with the arena.
    func string(_ text: String) -> UnsafePointer<CChar> {
        let copy = strdup(text)!
        allocations.append(UnsafeMutableRawPointer(copy))
        return UnsafePointer(copy)
    }

    /// `string(text)` or nil.
    func optional(_ text: String?) -> UnsafePointer<CChar>? {
        text.map(string)
    }

    /// A C array of C strings.
    func array(_ texts: [String]) -> UnsafeMutablePointer<UnsafePointer<CChar>?> {
        let pointer = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: max(1, texts.count))
        for (index, text) in texts.enumerated() { pointer[index] = string(text) }
        allocations.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    /// A C array of integers.
    func integers(_ values: [Int64]) -> UnsafeMutablePointer<Int64> {
        let pointer = UnsafeMutablePointer<Int64>.allocate(capacity: max(1, values.count))
        for (index, value) in values.enumerated() { pointer[index] = value }
        allocations.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    deinit {
        for allocation in allocations { free(allocation) }
    }
}

/// The Swift string of a C string, or nil for NULL.
func optionalString(_ pointer: UnsafePointer<CChar>?) -> String? {
    pointer.map { String(cString: $0) }
}
