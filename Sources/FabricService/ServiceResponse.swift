import FabricCore
import Foundation

/// A handler's answer: a status, a body and headers.
///
/// For at-least-once attempts `ok` acknowledges, `retry` asks for another attempt after
/// the route's backoff, `error` sends the message to the dead-letter queue at once.
public struct ServiceResponse: Sendable {
    /// Outcome.
    public var status: Status
    /// Body.
    public var payload: [UInt8]
    /// Extra headers (`Content-Type`, …).
    public var headers: Headers
    /// Error text for failures.
    public var error: String?

    /// Creates a response.
    public init(status: Status, payload: [UInt8] = [], headers: Headers = Headers(), error: String? = nil) {
        self.status = status
        self.payload = payload
        self.headers = headers
        self.error = error
    }

    /// Done, with an optional body.
    public static func ok(_ payload: [UInt8] = [], contentType: String? = nil) -> ServiceResponse {
        var headers = Headers()
        if let contentType { headers.add(HeaderName.contentType, contentType) }
        return ServiceResponse(status: .ok, payload: payload, headers: headers)
    }

    /// Done, with a JSON body.
    public static func ok(json value: some Encodable) throws -> ServiceResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return .ok(Array(try encoder.encode(value)), contentType: "application/json")
    }

    /// A retryable failure.
    public static func retry(_ error: String) -> ServiceResponse { ServiceResponse(status: .retry, error: error) }

    /// A terminal failure.
    public static func error(_ error: String) -> ServiceResponse { ServiceResponse(status: .error, error: error) }

    /// Some other status (`not-found`, `rejected`, `forbidden`, …).
    public static func status(_ status: Status, _ error: String? = nil) -> ServiceResponse {
        ServiceResponse(status: status, error: error)
    }
}

/// Thrown by a handler to ask for another attempt instead of a terminal error.
public struct RetryableError: Error, CustomStringConvertible {
    /// Why.
    public let description: String

    /// Creates the error.
    public init(_ description: String) { self.description = description }
}
