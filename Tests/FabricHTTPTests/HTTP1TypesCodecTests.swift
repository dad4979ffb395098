import HTTPTypes
import NIOHTTP1
import NIOHTTPTypesHTTP1
import Testing

@testable import FabricHTTP

@Suite("HTTP1TypesCodec")
struct HTTP1TypesCodecTests {
    /// The codec's request is the library's, for every form of target and either scheme.
    @Test func requestsAreTheLibrarysWithoutItsParse() throws {
        let targets = [
            "/", "/v1/request/echo", "/v1/query/q?x=1&y=%20", "/a%2Fb//c?", "/?#frag", "http://example.test/x?y=1",
            "https://example.test", "*", "example.test:443", "",
        ]
        let methods: [HTTPMethod] = [.GET, .POST, .OPTIONS, .CONNECT, .RAW(value: "PURGE")]
        for target in targets {
            for method in methods {
                for secure in [false, true] {
                    var head = HTTPRequestHead(version: .http1_1, method: method, uri: target)
                    head.headers.add(name: "host", value: "fabric.test")
                    head.headers.add(name: "Host", value: "second.test")
                    head.headers.add(name: "X-A", value: "1")
                    head.headers.add(name: "Cookie", value: "a=1; b=2")
                    let expected = try HTTPRequest(head, secure: secure, splitCookie: false)
                    #expect(try HTTP1TypesCodec.request(head, secure: secure) == expected, "\(method) \(target) \(secure)")
                }
            }
        }
    }

    @Test func aMethodTheLibraryRefusesIsRefused() {
        let head = HTTPRequestHead(version: .http1_1, method: .RAW(value: "BAD METHOD"), uri: "/")
        #expect(throws: (any Error).self) { try HTTP1TypesCodec.request(head, secure: false) }
    }
}
