/// The `key=value;key=value` form used by structured fabric headers (`Fabric-Retry`,
/// `Fabric-Cache`).
enum HeaderParameters {
    static func parse(_ value: String, header: String) throws(ValidationError) -> [(String, String)] {
        var result: [(String, String)] = []
        for part in value.split(separator: ";") {
            let trimmed = part.trimmingSpaces()
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw ValidationError(path: header, reason: "'\(trimmed)' is not key=value")
            }
            result.append((String(trimmed[..<equals]), String(trimmed[trimmed.index(after: equals)...])))
        }
        return result
    }
}
