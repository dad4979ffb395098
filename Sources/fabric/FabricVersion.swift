import FabricCore

/// Version of this build.
enum FabricVersion {
    static let string = "0.1.0"
}
