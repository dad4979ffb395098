/// An ordered list of message headers, as carried by a NATS message.
///
/// Lookups are exact-case first and case-insensitive second: the fabric writes its own
/// headers in canonical case, while rule matches on client headers are case-insensitive.
/// Kept as a flat array because envelopes carry a dozen headers: a linear scan beats
/// hashing at that size and costs one allocation.
public struct Headers: Sendable, Hashable, Sequence {
    /// One header field.
    public struct Field: Sendable, Hashable {
        /// Header name as written on the wire.
        public var name: String
        /// Header value.
        public var value: String

        /// Creates a field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    @usableFromInline var fields: [Field]

    /// Creates an empty header list with room for `capacity` fields.
    public init(capacity: Int = 0) {
        fields = []
        fields.reserveCapacity(capacity)
    }

    /// Creates a header list from name/value pairs, in order.
    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    /// Number of fields, counting repeated names.
    public var count: Int { fields.count }

    /// True when there is no field.
    public var isEmpty: Bool { fields.isEmpty }

    /// The first value for `name`.
    public subscript(name: String) -> String? {
        get { first(name) }
        set {
            if let newValue { set(name, newValue) } else { remove(name) }
        }
    }

    /// The first value for `name`, exact case first, then ignoring case.
    @inlinable
    public func first(_ name: String) -> String? {
        for field in fields where field.name == name { return field.value }
        for field in fields where field.name.utf8.count == name.utf8.count && equalsIgnoringASCIICase(field.name, name) {
            return field.value
        }
        return nil
    }

    /// Every value for `name`, ignoring case, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { equalsIgnoringASCIICase($0.name, name) }.map(\.value)
    }

    /// Replaces every field named `name` (ignoring case) with one field.
    public mutating func set(_ name: String, _ value: String) {
        if let index = fields.firstIndex(where: { equalsIgnoringASCIICase($0.name, name) }) {
            fields[index] = Field(name: name, value: value)
            var next = index + 1
            while next < fields.count {
                if equalsIgnoringASCIICase(fields[next].name, name) { fields.remove(at: next) } else { next += 1 }
            }
        } else {
            fields.append(Field(name: name, value: value))
        }
    }

    /// Appends a field, keeping any existing field of the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Removes every field named `name`, ignoring case.
    public mutating func remove(_ name: String) {
        fields.removeAll { equalsIgnoringASCIICase($0.name, name) }
    }

    /// Removes every field whose name satisfies `predicate`.
    public mutating func removeAll(where predicate: (Field) throws -> Bool) rethrows {
        try fields.removeAll(where: predicate)
    }

    /// Total bytes of names and values, the measure the header size limit uses.
    public var byteCount: Int {
        fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
    }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }
}

/// ASCII case-insensitive comparison without allocating lower-cased copies.
@inlinable
public func equalsIgnoringASCIICase(_ lhs: String, _ rhs: String) -> Bool {
    var left = lhs.utf8.makeIterator()
    var right = rhs.utf8.makeIterator()
    while true {
        switch (left.next(), right.next()) {
        case (nil, nil): return true
        case (let a?, let b?):
            if a == b { continue }
            let la = (a >= 65 && a <= 90) ? a | 0x20 : a
            let lb = (b >= 65 && b <= 90) ? b | 0x20 : b
            if la != lb { return false }
        default: return false
        }
    }
}
