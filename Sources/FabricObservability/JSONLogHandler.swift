import Foundation
import Logging

/// A swift-log handler that writes one JSON object per line to standard error.
///
/// Fields: `ts` (RFC 3339 with milliseconds, UTC), `level`, `label`, `msg`, `module`,
/// then every metadata key (`correlation_id`, `subject`, …) as a string.
public struct JSONLogHandler: LogHandler {
    /// Metadata attached to every line of this logger.
    public var metadata: Logger.Metadata = [:]
    /// Lowest level written.
    public var logLevel: Logger.Level
    private let label: String
    private let metadataProvider: Logger.MetadataProvider?

    /// Creates a handler for `label`.
    public init(label: String, level: Logger.Level, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.logLevel = level
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata { fields[key] = "\(value)" }
        for (key, value) in metadataProvider?.get() ?? [:] { fields[key] = "\(value)" }
        for (key, value) in event.metadata ?? [:] { fields[key] = "\(value)" }
        var line = "{\"ts\":\(JSONLogHandler.quote(JSONLogHandler.timestamp()))"
        line += ",\"level\":\(JSONLogHandler.quote(event.level.rawValue))"
        line += ",\"label\":\(JSONLogHandler.quote(label))"
        line += ",\"msg\":\(JSONLogHandler.quote(event.message.description))"
        line += ",\"module\":\(JSONLogHandler.quote(event.source))"
        for key in fields.keys.sorted() {
            line += ",\(JSONLogHandler.quote(key)):\(JSONLogHandler.quote(fields[key]!))"
        }
        line += "}\n"
        // One write per line keeps lines whole when several threads log at once.
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }

    static func timestamp() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var time = spec.tv_sec
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
            parts.tm_min, parts.tm_sec, spec.tv_nsec / 1_000_000)
    }

    /// `text` as a JSON string literal.
    static func quote(_ text: String) -> String {
        var result = "\""
        result.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
