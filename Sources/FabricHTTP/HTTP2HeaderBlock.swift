import HTTPTypes
import NIOHPACK

/// Conversions between HTTP/2 header blocks and HTTPTypes' requests and responses.
enum HTTP2HeaderBlock {
    /// The request of a header block; nil when its method or a field name is unusable.
    /// nio-http2 has already checked the pseudo-header fields (RFC 9113 §8.3).
    static func request(_ headers: HPACKHeaders) -> HTTPRequest? {
        var method: HTTPRequest.Method?
        var scheme: String?
        var authority: String?
        var path: String?
        var fields = HTTPFields()
        fields.reserveCapacity(headers.count)
        for (name, value, indexing) in headers {
            if name.utf8.first == UInt8(ascii: ":") {
                switch name {
                case ":method": method = HTTPRequest.Method(value)
                case ":scheme": scheme = value
                case ":authority": authority = value
                case ":path": path = value
                default: return nil
                }
                continue
            }
            guard let fieldName = HTTPField.Name(name) else { return nil }
            var field = HTTPField(name: fieldName, value: value)
            if indexing == .neverIndexed { field.indexingStrategy = .disallow }
            fields.append(field)
        }
        guard let method else { return nil }
        return HTTPRequest(method: method, scheme: scheme, authority: authority, path: path, headerFields: fields)
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
