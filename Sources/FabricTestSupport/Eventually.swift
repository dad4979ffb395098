/// Waits for a condition that no event announces (a counter reaching a value in another
/// process), checking it often and giving up after `timeout`.
///
/// Returns as soon as the condition holds, so it never stands in for a fixed sleep.
public func eventually(
    timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(5), _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}
