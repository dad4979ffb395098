import Foundation

/// Lines for people on standard error, apart from the results on standard output.
enum StandardError {
    static func write(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
