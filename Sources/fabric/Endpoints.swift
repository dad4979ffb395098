import Foundation

/// Prints one `name  url` line per endpoint on standard output, so a person and a
/// script (`grep '^admin '`) can find them.
enum Endpoints {
    static func announce(_ name: String, _ url: String) {
        let line = name.padding(toLength: max(6, name.count + 1), withPad: " ", startingAt: 0) + " " + url + "\n"
        FileHandle.standardOutput.write(Data(line.utf8))
    }
}
