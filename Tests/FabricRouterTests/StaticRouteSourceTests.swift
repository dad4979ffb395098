import FabricRouter
import Testing

@Suite("Static rule source")
struct StaticRouteSourceTests {
    @Test func givesItsRulesOnceAndEnds() async {
        let source = StaticRouteSource(text: "version: 1\nroutes: []\n", version: "bench:7")
        var updates = source.updates().makeAsyncIterator()
        #expect(await updates.next() == RouteUpdate(text: "version: 1\nroutes: []\n", version: "bench:7"))
        #expect(await updates.next() == nil)
        #expect(StaticRouteSource(text: "").version == "static:1")
    }
}
