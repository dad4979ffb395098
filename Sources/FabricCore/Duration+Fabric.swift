extension Duration {
    /// Whole milliseconds, rounded down.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// The duration in seconds, as a floating-point number.
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Parses `250ms`, `5s`, `2m`, `1h`, `1d` or a combination such as `1m30s`.
    public static func parse(_ text: String) throws(ValidationError) -> Duration {
        var total: Duration = .zero
        var number = ""
        var unit = ""
        var sawAny = false
        func flush() throws(ValidationError) {
            guard !number.isEmpty, let value = Double(number), value >= 0 else {
                throw ValidationError(path: text, reason: "not a duration (use e.g. 250ms, 5s, 2m, 1h)")
            }
            let scale: Double
            switch unit {
            case "ns": scale = 1e-9
            case "us", "µs": scale = 1e-6
            case "ms": scale = 1e-3
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            case "d": scale = 86400
            default: throw ValidationError(path: text, reason: "unknown duration unit '\(unit)' (ns, us, ms, s, m, h, d)")
            }
            total += .nanoseconds(Int64((value * scale * 1e9).rounded()))
            number = ""
            unit = ""
            sawAny = true
        }
        for character in text.trimmingSpaces() {
            if character.isNumber || character == "." {
                if !unit.isEmpty { try flush() }
                number.append(character)
            } else {
                unit.append(character)
            }
        }
        if !number.isEmpty || !unit.isEmpty { try flush() }
        guard sawAny else { throw ValidationError(path: text, reason: "not a duration (use e.g. 250ms, 5s, 2m, 1h)") }
        return total
    }

    /// The shortest of `ms`, `s`, `m`, `h` that states the value exactly.
    public var fabricDescription: String {
        let ms = milliseconds
        if ms % 3_600_000 == 0 && ms != 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0 && ms != 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces and tabs.
    func trimmingSpaces() -> SubSequence {
        var start = startIndex
        var end = endIndex
        while start < end, self[start] == " " || self[start] == "\t" { start = index(after: start) }
        while end > start, self[index(before: end)] == " " || self[index(before: end)] == "\t" { end = index(before: end) }
        return self[start..<end]
    }
}
