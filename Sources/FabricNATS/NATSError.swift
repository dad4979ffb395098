import CNATS

/// A failure reported by nats.c or by the JetStream API.
///
/// A struct wrapping a code, so new codes do not break callers; `jetStreamCode` carries
/// the server's `err_code` (e.g. 10071 wrong last sequence) when there is one.
public struct NATSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Wrapped: String, Sendable, Hashable {
            case timeout, noResponders = "no responders", connectionClosed = "connection closed"
            case notFound = "not found", notConnected = "not connected", invalidArgument = "invalid argument"
            case authorization = "authorization failed", noServer = "no server available"
            case payloadTooLarge = "payload too large", jetStream = "jetstream error"
            case slowConsumer = "slow consumer", draining, other = "nats error"
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// No answer within the timeout.
        public static let timeout = Code(.timeout)
        /// A request found no subscriber on its subject.
        public static let noResponders = Code(.noResponders)
        /// The connection is closed.
        public static let connectionClosed = Code(.connectionClosed)
        /// A stream, consumer, message or key does not exist.
        public static let notFound = Code(.notFound)
        /// Not connected (yet, or while reconnecting with no buffer).
        public static let notConnected = Code(.notConnected)
        /// Bad subject, bad option or similar.
        public static let invalidArgument = Code(.invalidArgument)
        /// The server refused the credentials.
        public static let authorization = Code(.authorization)
        /// No server could be reached.
        public static let noServer = Code(.noServer)
        /// Larger than the server's `max_payload`.
        public static let payloadTooLarge = Code(.payloadTooLarge)
        /// The JetStream API answered with an error (`jetStreamCode` says which).
        public static let jetStream = Code(.jetStream)
        /// Messages were dropped because a consumer fell behind.
        public static let slowConsumer = Code(.slowConsumer)
        /// The connection or subscription is draining.
        public static let draining = Code(.draining)
        /// Anything else; `status` and `message` say more.
        public static let other = Code(.other)

        public var description: String { wrapped.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// nats.c's status text, e.g. `Timeout`.
    public let status: String
    /// The JetStream `err_code`, 0 when not a JetStream error.
    public let jetStreamCode: Int
    /// What nats.c or the server said.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, status: String = "", jetStreamCode: Int = 0, message: String) {
        self.code = code
        self.status = status
        self.jetStreamCode = jetStreamCode
        self.message = message
    }

    /// The error for a nats.c status, with the library's last error text.
    init(status: natsStatus, jsErrorCode: jsErrCode = jsErrCode(rawValue: 0), context: String) {
        let text = String(cString: natsStatus_GetText(status))
        let last = nats_GetLastError(nil).map { String(cString: $0) } ?? ""
        let code: Code
        if jsErrorCode.rawValue != 0 {
            switch jsErrorCode {
            case JSStreamNotFoundErr, JSConsumerNotFoundErr, JSNoMessageFoundErr: code = .notFound
            default: code = .jetStream
            }
        } else {
            switch status {
            case NATS_TIMEOUT: code = .timeout
            case NATS_NO_RESPONDERS: code = .noResponders
            case NATS_CONNECTION_CLOSED: code = .connectionClosed
            case NATS_NOT_FOUND: code = .notFound
            case NATS_NOT_YET_CONNECTED, NATS_CONNECTION_DISCONNECTED: code = .notConnected
            case NATS_INVALID_ARG, NATS_INVALID_SUBJECT, NATS_INVALID_QUEUE_NAME, NATS_INVALID_TIMEOUT: code = .invalidArgument
            case NATS_CONNECTION_AUTH_FAILED, NATS_NOT_PERMITTED: code = .authorization
            case NATS_NO_SERVER: code = .noServer
            case NATS_MAX_PAYLOAD: code = .payloadTooLarge
            case NATS_SLOW_CONSUMER: code = .slowConsumer
            case NATS_DRAINING: code = .draining
            default: code = .other
            }
        }
        let detail = last.isEmpty || last == text ? text : "\(text): \(last)"
        self.init(code, status: text, jetStreamCode: Int(jsErrorCode.rawValue), message: "\(context): \(detail)")
    }

    public var description: String {
        jetStreamCode != 0 ? "\(message) (jetstream err_code \(jetStreamCode))" : message
    }
}

/// Throws a `NATSError` when `status` is not `NATS_OK`.
@inline(__always)
func check(_ status: natsStatus, _ context: @autoclosure () -> String) throws(NATSError) {
    if status != NATS_OK { throw NATSError(status: status, context: context()) }
}
