import Logging

/// swift-log's `StreamLogHandler` output (standard error), with the logger's metadata
/// formatted only when a line is written.
///
/// `StreamLogHandler` formats its metadata each time it changes. Hummingbird gives every
/// request a logger with its own request id, so each request paid for sorting and joining
/// the metadata into a string that was almost never written: 3 % of the heap allocations
/// of an HTTP request through `fabric up`.
public struct TextLogHandler: LogHandler {
    private var stream: StreamLogHandler

    /// Metadata of every line this handler writes.
    public var metadata: Logger.Metadata = [:]

    public var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    /// A handler writing to standard error at `level`.
    public init(label: String, level: Logger.Level) {
        stream = StreamLogHandler.standardError(label: label)
        stream.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var writer = stream
        writer.metadata = metadata
        writer.log(event: event)
    }
}
