import Foundation

/// A fresh directory under the system temporary directory.
public func makeTemporaryDirectory(_ prefix: String = "fabric-test") throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
