import HTTPTypes
import NIOHPACK
import Testing

@testable import FabricHTTP

/// `HTTP2HeaderBlock` is the only check of a received header block (nio-http2's is off):
/// every rule of RFC 9113 §8.2 and §8.3 that nio-http2 applied is a case here.
@Suite("HTTP2HeaderBlock")
struct HTTP2HeaderBlockTests {
    static let base: [(String, String)] = [
        (":method", "POST"), (":scheme", "https"), (":authority", "example.test"), (":path", "/v1/request/echo"),
    ]

    static func block(_ fields: [(String, String)], neverIndexed: Set<String> = []) -> HPACKHeaders {
        var headers = HPACKHeaders()
        for (name, value) in fields {
            headers.add(name: name, value: value, indexing: neverIndexed.contains(name) ? .neverIndexed : .indexable)
        }
        return headers
    }

    static func reason(_ fields: [(String, String)]) -> String? {
        do {
            _ = try HTTP2HeaderBlock.request(block(fields))
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func aWellFormedBlockBecomesTheRequest() throws {
        let fields = Self.base + [("authorization", "Bearer x"), ("te", "trailers"), ("x-a", "1"), ("x-a", "2")]
        let request = try HTTP2HeaderBlock.request(Self.block(fields, neverIndexed: ["authorization"]))
        #expect(request.method == .post)
        #expect(request.scheme == "https")
        #expect(request.authority == "example.test")
        #expect(request.path == "/v1/request/echo")
        #expect(request.headerFields.value(.authorization) == "Bearer x")
        #expect(request.headerFields[values: HTTPField.Name("x-a")!] == ["1", "2"])
        // A field the client sent never-indexed stays so on the way out.
        #expect(request.headerFields.first { $0.name == .authorization }?.indexingStrategy == .disallow)
        #expect(request.headerFields.first { $0.name == .te }?.indexingStrategy == .automatic)
        // Other control bytes are legalized as HTTPTypes does, not refused (nio-http2 did the same).
        let control = try HTTP2HeaderBlock.request(Self.block(Self.base + [("x-b", "a\u{1}b")]))
        #expect(control.headerFields.value(HTTPField.Name("x-b")!) == "a b")
    }

    @Test func pseudoHeaderFieldsAreCheckedAsRFC9113Says() {
        let get = [(":method", "GET"), (":scheme", "http"), (":authority", "a")]
        #expect(Self.reason(get) == "no :path")
        #expect(Self.reason([(":scheme", "http"), (":path", "/")]) == "no :method")
        #expect(Self.reason([(":method", "GET"), (":path", "/")]) == "no :scheme")
        #expect(Self.reason(get + [(":path", "")]) == ":path is empty")
        #expect(Self.reason(get + [(":path", "/a b")]) == "pseudo-header field :path has a space or control character")
        #expect(Self.reason(get + [(":path", "/a\r\n")]) == "pseudo-header field :path has a space or control character")
        #expect(Self.reason(get + [(":path", "/"), (":path", "/b")]) == "more than one :path")
        #expect(Self.reason(get + [(":path", "/"), (":method", "GET")]) == "more than one :method")
        #expect(Self.reason(get + [(":path", "/"), (":scheme", "https")]) == "more than one :scheme")
        #expect(Self.reason(get + [(":path", "/"), (":authority", "b")]) == "more than one :authority")
        #expect(Self.reason(get + [(":path", "/"), (":status", "200")]) == "unknown pseudo-header field")
        #expect(Self.reason(get + [(":path", "/"), (":protocol", "websocket")]) == "unknown pseudo-header field")
        // An unknown name is never echoed, wherever it stands.
        #expect(Self.reason([(":method", "GET"), ("x-a", "1"), (":x\r\nY", "1")]) == "unknown pseudo-header field")
        #expect(Self.reason([(":method", "G(T)"), (":scheme", "http"), (":path", "/")]) == ":method is not a token")
        #expect(
            Self.reason([(":method", "GET"), ("x-a", "1"), (":path", "/"), (":scheme", "http")])
                == "pseudo-header field :path after a regular field")
        // CONNECT (RFC 9113 §8.5) names only the authority.
        #expect(Self.reason([(":method", "CONNECT"), (":authority", "a:443")]) == nil)
        #expect(
            Self.reason([(":method", "CONNECT"), (":authority", "a:443"), (":path", "/")])
                == "CONNECT takes :authority and neither :scheme nor :path")
        #expect(Self.reason([(":method", "CONNECT")]) == "CONNECT takes :authority and neither :scheme nor :path")
    }

    @Test func regularFieldsAreCheckedAsRFC9113Says() {
        #expect(Self.reason(Self.base + [("X-Upper", "1")]) == "a field name is not a lower-case token")
        #expect(Self.reason(Self.base + [("x(y)", "1")]) == "a field name is not a lower-case token")
        #expect(Self.reason(Self.base + [("", "1")]) == "a field name is not a lower-case token")
        #expect(Self.reason(Self.base + [("x-a", "a\rb")]) == "field x-a has CR, LF or NUL in its value")
        #expect(Self.reason(Self.base + [("x-a", "a\nb")]) == "field x-a has CR, LF or NUL in its value")
        #expect(Self.reason(Self.base + [("x-a", "a\u{0}b")]) == "field x-a has CR, LF or NUL in its value")
        for name in ["connection", "transfer-encoding", "upgrade", "keep-alive", "proxy-connection"] {
            #expect(Self.reason(Self.base + [(name, "x")]) == "connection-specific field \(name)")
        }
        #expect(Self.reason(Self.base + [("te", "gzip")]) == "te other than \"trailers\"")
        // Names of those lengths that are not connection-specific pass.
        let lengths = [("x-abcde", "1"), ("user-agent", "u"), ("content-language", "en"), ("if-modified-since", "x")]
        #expect(Self.reason(Self.base + lengths) == nil)
    }

    @Test func trailersCarryRegularFieldsOnly() throws {
        try HTTP2HeaderBlock.checkTrailers(Self.block([("x-checksum", "abc"), ("grpc-status", "0")]))
        #expect(throws: HTTP2HeaderBlock.Malformed("a pseudo-header field in trailers")) {
            try HTTP2HeaderBlock.checkTrailers(Self.block([(":path", "/")]))
        }
        #expect(throws: HTTP2HeaderBlock.Malformed("field x-a has CR, LF or NUL in its value")) {
            try HTTP2HeaderBlock.checkTrailers(Self.block([("x-a", "1\n")]))
        }
        #expect(throws: HTTP2HeaderBlock.Malformed("connection-specific field keep-alive")) {
            try HTTP2HeaderBlock.checkTrailers(Self.block([("keep-alive", "1")]))
        }
    }
}
