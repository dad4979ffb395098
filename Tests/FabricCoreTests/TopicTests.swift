import FabricCore
import Testing

@Suite("Topics")
struct TopicTests {
    @Test func topicLevelsBecomeTokens() throws {
        let topic = try Topic("sensors/eu.west/42 a")
        #expect(topic.subjectSuffix == "sensors.eu~2Ewest.42~20a")
        #expect(try Topic(subjectSuffix: topic.subjectSuffix[...]) == topic)
        #expect(FabricNames.Subject.outTopic(topic) == "fabric.out.topic.sensors.eu~2Ewest.42~20a")
    }

    @Test func emptyLevelsSurvive() throws {
        let topic = try Topic("/a//b/")
        #expect(topic.levels.count == 5)
        #expect(try Topic(subjectSuffix: topic.subjectSuffix[...]).name == "/a//b/")
    }

    static let filters: [(String, [String])] = [
        ("a/b", ["a.b"]), ("a/+/c", ["a.*.c"]), ("a/#", ["a", "a.>"]), ("#", [">"]), ("+", ["*"]),
        ("+/#", ["*", "*.>"]), ("x.y/+", ["x~2Ey.*"]),
    ]

    @Test(arguments: filters)
    func filtersMapToSubjectPatterns(filter: String, subjects: [String]) throws {
        #expect(try TopicFilter(filter).subjectSuffixes == subjects)
    }

    static let badFilters = ["a/#/b", "a+/b", "a/b#", "", String(repeating: "a/", count: 40)]

    @Test(arguments: badFilters)
    func badFiltersAreRefused(filter: String) {
        #expect(throws: ValidationError.self) { try TopicFilter(filter) }
    }

    @Test func topicNamesMayNotHoldWildcards() {
        #expect(throws: ValidationError.self) { try Topic("a/+") }
        #expect(throws: ValidationError.self) { try Topic("a/#") }
        #expect(throws: ValidationError.self) { try Topic("") }
    }

    static let matches: [(String, String, Bool)] = [
        ("a/b", "a/b", true), ("a/b", "a/c", false), ("a/+", "a/b", true), ("a/+", "a/b/c", false), ("a/#", "a", true),
        ("a/#", "a/b/c", true), ("#", "a/b", true), ("+/b", "a/b", true), ("#", "$SYS/x", false), ("+/x", "$SYS/x", false),
        ("$SYS/#", "$SYS/x", true), ("a/+/c", "a//c", true), ("a", "a/b", false),
    ]

    @Test(arguments: matches)
    func matchingFollowsMQTT(filter: String, topic: String, expected: Bool) throws {
        #expect(try TopicFilter(filter).matches(Topic(topic)) == expected)
    }
}
