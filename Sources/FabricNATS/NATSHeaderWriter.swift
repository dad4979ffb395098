import CNATS
import FabricCore

#if canImport(Glibc)
import Glibc
#endif

/// Copies `Headers` into and out of nats.c messages.
enum NATSHeaderWriter {
    static func write(_ headers: Headers, to message: OpaquePointer) -> natsStatus {
        for field in headers {
            // nats.c 3.4.1 misparses an empty or blank value on receipt (the next line
            // becomes its value), so such a field is not sent: empty means absent.
            if field.value.utf8.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }
            let status = natsMsgHeader_Add(message, field.name, field.value)
            if status != NATS_OK { return status }
        }
        return NATS_OK
    }

    /// Every header of a received message, in the order they were sent (`NATSHeaderBlock`),
    /// or in the order of nats.c's map when the block cannot be read in place.
    static func read(from message: OpaquePointer) -> Headers {
        read(from: message, block: NATSHeaderBlock.locate(message))
    }

    /// The same, with the block already located (nil: through nats.c's API).
    static func read(from message: OpaquePointer, block: UnsafeRawBufferPointer?) -> Headers {
        if let block {
            var headers = Headers(capacity: 16)
            NATSHeaderBlock.forEachField(in: block) { name, value in
                headers.add(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
            }
            return headers
        }
        var keys: UnsafeMutablePointer<UnsafePointer<CChar>?>?
        var count: Int32 = 0
        guard natsMsgHeader_Keys(message, &keys, &count) == NATS_OK, let keys else { return Headers() }
        defer { free(UnsafeMutableRawPointer(mutating: keys)) }
        var headers = Headers(capacity: Int(count))
        for index in 0..<Int(count) {
            guard let key = keys[index] else { continue }
            var values: UnsafeMutablePointer<UnsafePointer<CChar>?>?
            var valueCount: Int32 = 0
            guard natsMsgHeader_Values(message, key, &values, &valueCount) == NATS_OK, let values else { continue }
            let name = String(cString: key)
            for valueIndex in 0..<Int(valueCount) {
                if let value = values[valueIndex] { headers.add(name, String(cString: value)) }
            }
            free(UnsafeMutableRawPointer(mutating: values))
        }
        return headers
    }
}
