/// `log:` — level and format of log lines.
public struct LogConfig: Sendable, Hashable {
    /// Line format.
    public enum Format: String, Sendable, Hashable, CaseIterable {
        /// One readable line per event.
        case text
        /// One JSON object per line.
        case json
    }

    /// Levels, as swift-log names them.
    public enum Level: String, Sendable, Hashable, CaseIterable {
        case trace, debug, info, notice, warning, error, critical
    }

    /// Lowest level written.
    public var level: Level
    /// Line format.
    public var format: Format

    init(reader: ConfigReader) throws(ValidationError) {
        level = try reader.choice("level", default: .info)
        format = try reader.choice("format", default: .text)
        try reader.finish()
    }
}
