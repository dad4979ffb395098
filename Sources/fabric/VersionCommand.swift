import ArgumentParser
import FabricCore
import FabricNATS

/// `fabric version`: this build, the envelope format and the nats.c it links.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print version information.")

    func run() {
        print("fabric \(FabricVersion.string)")
        print("envelope v\(Envelope.currentVersion)")
        print("nats.c \(NATSLibrary.version)")
    }
}
