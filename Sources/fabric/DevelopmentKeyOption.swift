import ArgumentParser
import FabricAuth
import FabricCore

/// `--development-key`, shared by every adapter command.
struct DevelopmentKeyOption: ParsableArguments {
    @Flag(
        name: .customLong("development-key"),
        help: "Trust the development key (auth.dev_key_file or <up.data_dir>/dev-jwks.json) when no JWKS is configured.")
    var enabled = false

    /// The development key file an adapter may trust; refuses a configuration with no
    /// key source unless the flag was given.
    func keyFile(_ config: FabricConfig) throws -> String {
        guard config.auth.hasKeySource || enabled else {
            throw ValidationFailure(message: "auth: needs jwks_file or jwks_url (or --development-key on a laptop)")
        }
        return config.auth.developmentKeyPath(dataDirectory: config.up.dataDir)
    }
}

extension RoleContext {
    /// An adapter's token verifier: the configured key sources, or `developmentKey` when
    /// there are none.
    func tokenVerifier(developmentKey: String?) async throws -> TokenVerifier {
        do {
            return try await TokenVerifier.load(
                config: config.auth, developmentKey: config.auth.hasKeySource ? nil : developmentKey, logger: logger)
        } catch {
            throw ValidationFailure(message: "auth: \(error)")
        }
    }
}
