import HTTPTypes
import NIOHPACK

/// Conversions between HTTP/2 header blocks and HTTPTypes' requests and responses.
///
/// nio-http2's own header-block validation is off (`HTTP2ServerChannel`): `request` and
/// `checkTrailers` do what it did (RFC 9113 §8.2 and §8.3) in the pass that converts the
/// block, instead of a second pass over every name and value.
enum HTTP2HeaderBlock {
    /// Why a header block is malformed (RFC 9113 §8.1.1), for the 400 that refuses it.
    struct Malformed: Error, Equatable {
        /// One line, naming the field when its name is usable.
        let reason: String

        init(_ reason: String) { self.reason = reason }
    }

    /// The request of a header block, checked as RFC 9113 §8.2 and §8.3 require.
    static func request(_ headers: HPACKHeaders) throws(Malformed) -> HTTPRequest {
        var method: HTTPRequest.Method?
        var scheme: String?
        var authority: String?
        var path: String?
        var regular = false
        var fields = HTTPFields()
        fields.reserveCapacity(headers.count)
        for (name, value, indexing) in headers {
            guard name.utf8.first == UInt8(ascii: ":") else {
                regular = true
                var field = try self.field(name, value)
                if indexing == .neverIndexed { field.indexingStrategy = .disallow }
                fields.append(field)
                continue
            }
            // Only a known name is named in a reason: the others are the client's bytes.
            guard let pseudo = Pseudo(rawValue: name) else { throw Malformed("unknown pseudo-header field") }
            if regular { throw Malformed("pseudo-header field \(name) after a regular field") }
            guard !value.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
                // None of the pseudo-header fields' grammars has a space, control byte or DEL,
                // and `:path` becomes a request target (nio-http2 checks the same).
                throw Malformed("pseudo-header field \(name) has a space or control character")
            }
            switch pseudo {
            case .method:
                guard method == nil else { throw Malformed("more than one :method") }
                guard let parsed = HTTPRequest.Method(value) else { throw Malformed(":method is not a token") }
                method = parsed
            case .scheme:
                guard scheme == nil else { throw Malformed("more than one :scheme") }
                scheme = value
            case .authority:
                guard authority == nil else { throw Malformed("more than one :authority") }
                authority = value
            case .path:
                guard path == nil else { throw Malformed("more than one :path") }
                guard !value.isEmpty else { throw Malformed(":path is empty") }
                path = value
            }
        }
        guard let method else { throw Malformed("no :method") }
        if method == .connect {
            // RFC 9113 §8.5: :authority only (extended CONNECT is not offered).
            guard authority != nil, scheme == nil, path == nil else {
                throw Malformed("CONNECT takes :authority and neither :scheme nor :path")
            }
        } else {
            guard scheme != nil else { throw Malformed("no :scheme") }
            guard path != nil else { throw Malformed("no :path") }
        }
        return HTTPRequest(method: method, scheme: scheme, authority: authority, path: path, headerFields: fields)
    }

    /// Checks a trailer block: regular fields only, each as in a request.
    static func checkTrailers(_ headers: HPACKHeaders) throws(Malformed) {
        for (name, value, _) in headers {
            if name.utf8.first == UInt8(ascii: ":") { throw Malformed("a pseudo-header field in trailers") }
            _ = try field(name, value)
        }
    }

    /// A regular field of a received block (RFC 9113 §8.2).
    private static func field(_ name: String, _ value: String) throws(Malformed) -> HTTPField {
        // `parsed` refuses upper case, which HTTP/2 forbids on the wire.
        guard let fieldName = HTTPField.Name(parsed: name) else {
            throw Malformed("a field name is not a lower-case token")
        }
        // RFC 9113 §8.2.1; other control bytes HTTPTypes legalizes.
        guard !value.utf8.contains(where: { $0 == 0 || $0 == 0x0A || $0 == 0x0D }) else {
            throw Malformed("field \(name) has CR, LF or NUL in its value")
        }
        switch name.utf8.count {
        case 2 where name == "te":
            guard value == "trailers" else { throw Malformed("te other than \"trailers\"") }
        case 7, 10, 16, 17:
            if isConnectionSpecific(fieldName) { throw Malformed("connection-specific field \(name)") }
        default: break
        }
        return HTTPField(name: fieldName, value: value)
    }

    /// The pseudo-header fields of a request (RFC 9113 §8.3.1; extended CONNECT's `:protocol`
    /// is not offered).
    private enum Pseudo: String {
        case method = ":method", scheme = ":scheme", authority = ":authority", path = ":path"
    }

    /// The header block of a response, without the fields HTTP/2 forbids (RFC 9113 §8.2.2).
    static func response(_ head: HTTPResponse) -> HPACKHeaders {
        var headers = HPACKHeaders()
        headers.reserveCapacity(head.headerFields.count + 1)
        headers.add(name: ":status", value: String(head.status.code))
        for field in head.headerFields where !isConnectionSpecific(field.name) {
            let indexing: HPACKIndexing
            switch field.indexingStrategy {
            case .disallow: indexing = .neverIndexed
            case .avoid: indexing = .nonIndexable
            default: indexing = .indexable
            }
            headers.add(name: field.name.canonicalName, value: field.value, indexing: indexing)
        }
        return headers
    }

    /// The header block of trailers.
    static func trailers(_ fields: HTTPFields) -> HPACKHeaders {
        var headers = HPACKHeaders()
        for field in fields where !isConnectionSpecific(field.name) {
            headers.add(name: field.name.canonicalName, value: field.value)
        }
        return headers
    }

    /// Fields of a connection, not a message: HTTP/2 forbids them.
    private static func isConnectionSpecific(_ name: HTTPField.Name) -> Bool {
        switch name.canonicalName {
        case "connection", "transfer-encoding", "upgrade", "keep-alive", "proxy-connection": true
        default: false
        }
    }
}
