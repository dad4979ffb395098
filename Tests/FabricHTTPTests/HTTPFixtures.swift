import FabricConformance

/// Rules the HTTP-specific tests add to the conformance environment's.
enum HTTPFixtures {
    static let routes = """
          - name: cached
            match: { type: "cached.>" }
            to: counter
            cache: { ttl: 5s, vary: [principal] }
          - name: shared
            match: { type: "shared.>" }
            to: counter
            cache: { ttl: 5s, vary: [] }
          - name: plain
            match: { type: "plain.>" }
            to: counter
          - name: single-flight
            match: { type: "sf.>" }
            to: slow
            cache: { ttl: 60s }
          - name: regional
            match: { type: "regional.>", headers: { x-region: [eu, us] } }
            to: counter
            cache: { ttl: 5s, vary: [principal] }
          - name: classes
            match: { type: "class.>" }
            to: echo

        """

    static var options: ConformanceEnvironment.Options { ConformanceEnvironment.Options(extraRoutes: routes) }
}
