import HTTPTypes
import Testing

@testable import FabricHTTP

@Suite("HTTPFields.value")
struct HTTPFieldsValueTests {
    @Test func readsAsTheSubscriptDoes() {
        var fields: HTTPFields = [.contentType: "application/json", .accept: "a/b"]
        #expect(fields.value(.contentType) == "application/json")
        #expect(fields.value(.authorization) == nil)
        fields.append(HTTPField(name: .accept, value: "c/d"))
        // Repeated fields read joined, exactly as `subscript(_:)` gives them.
        #expect(fields.value(.accept) == "a/b, c/d")
        #expect(fields.value(.accept) == fields[.accept])
        fields.append(HTTPField(name: .cookie, value: "x=1"))
        fields.append(HTTPField(name: .cookie, value: "y=2"))
        #expect(fields.value(.cookie) == fields[.cookie])
    }
}
