import ArgumentParser
import FabricAuth
import FabricCore
import FabricDelivery
import FabricHTTP
import FabricNATS
import FabricObservability
import FabricProcess
import FabricRouter
import FabricWebSocket
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `fabric up`: everything in one process for a laptop.
///
/// Starts `nats-server -js` as a child (unless `--nats-url` is given), waits until it
/// is ready, ensures the streams and buckets, runs every role that exists, prints one
/// line per endpoint, and on SIGTERM/Ctrl-C shuts the roles down, then the child.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Run the whole fabric in one process (starts nats-server unless --nats-url is given).")

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("nats-port"), help: "Client port of the nats-server child (0 = any free port).")
    var natsPort: Int?

    @Option(name: .customLong("data-dir"), help: "JetStream data directory of the nats-server child.")
    var dataDirectory: String?

    @Option(name: .customLong("routes"), help: "Rules file, watched for changes (default: router.file).")
    var routesFile: String?

    @OptionGroup var ports: HTTPPortOptions
    @OptionGroup var wsPorts: WebSocketPortOptions

    func run() async throws {
        let runtime = try Runtime.start(global, role: "up", overrides: ports.overrides.merging(wsPorts.overrides) { $1 })
        let config = runtime.config
        let logger = runtime.logger
        var services: [any Service] = []
        let dataDirectory = self.dataDirectory ?? config.up.dataDir
        let developmentKey = config.auth.developmentKeyPath(dataDirectory: dataDirectory)

        if !config.auth.hasKeySource {
            // Without a JWKS the fabric trusts the development key; `fabric token` signs with it.
            do {
                if try DevelopmentKey.ensure(at: developmentKey) {
                    logger.notice("created the development signing key", metadata: ["file": "\(developmentKey)"])
                }
            } catch {
                throw ValidationFailure(message: "auth: \(error)")
            }
        }

        var natsChild: NATSServerChild?
        var urls = config.nats.urls
        if global.natsURL == nil {
            let child = try await NATSServerChild.start(
                binary: config.up.natsServer, port: natsPort ?? config.up.natsPort,
                dataDirectory: dataDirectory, logger: logger)
            natsChild = child
            urls = [child.url]
            services.append(child)
        }
        Endpoints.announce("nats", urls.joined(separator: ","))

        let context: RoleContext
        var siblings: [RoleContext] = []
        let router: RouterService
        let delivery: DeliveryService
        let backends: [any Service]
        let adapter: HTTPAdapter
        let adapterServices: [any Service]
        var webSocket: [any Service] = []
        do {
            context = try await RoleContext.connect(runtime, role: "up", urls: urls)
            // The router and the example backends get connections of their own, as they would
            // as separate processes: each nats.c connection reads on its own thread, and both
            // can batch while busy (`router.batch_when_busy`; nothing acks JetStream on them).
            let routing = try await context.sibling(role: "up-router", batchWhenBusy: config.router.batchWhenBusy)
            let examples = try await context.sibling(role: "up-examples", batchWhenBusy: true)
            siblings = [routing, examples]
            router = try await RouterCommand.makeRouter(routing, file: routesFile ?? config.router.file)
            delivery = DeliveryCommand.makeDelivery(context)
            backends = try ["echo", "alerts", "flaky"].map { try ExampleCommand.backend($0, examples) }
            let listeners = [config.http.port >= 0, config.http.h2cPort >= 0, config.http.tls != nil].filter { $0 }.count
            let hint = config.auth.hasKeySource ? nil : QuickStart(dataDirectory: dataDirectory, listeners: listeners)
            // The HTTP adapter batches its publishes per event-loop turn on a connection of its
            // own, as `fabric adapter http` does; nothing acknowledges JetStream on it.
            var adapting = context
            if config.http.batchPublishes {
                adapting = try await context.sibling(role: "up-http", batchWhenBusy: true)
                siblings.append(adapting)
            }
            (adapter, adapterServices) = try await HTTPAdapterCommand.makeAdapter(adapting, developmentKey: developmentKey) {
                listener, url in
                Endpoints.announce(listener.rawValue, url)
                hint?.bound(listener, url)
            }
            if config.ws.port >= 0 {
                let (ws, wsServices) = try await WebSocketAdapterCommand.makeAdapter(context, developmentKey: developmentKey)
                webSocket = wsServices + [ws]
            }
        } catch {
            siblings.forEach { $0.connection.close() }
            await natsChild?.stopChild()
            throw error
        }
        defer { siblings.forEach { $0.connection.close() } }
        let control = adapter.controlAPI(token: config.admin.token)
        do {
            // The child stops last, after every role drained its connection; the adapter
            // stops first, so its clients finish before the router, delivery and backends go.
            try await context.run(
                first: services, backends + adapterServices + [delivery, router, adapter] + webSocket,
                adminRoutes: control?.adminRoutes, siblings: siblings)
        } catch {
            await natsChild?.stopChild()
            throw error
        }
        logger.info("fabric up stopped")
    }
}

/// Tells whether a listener can bind, so a busy port is a clear error, not a stack trace.
enum PortCheck {
    static func inUse(host: String, port: Int) -> String? {
        guard port != 0, host == "127.0.0.1" || host == "localhost" || host == "0.0.0.0" else { return nil }
        return FreePort.isListening(port) ? "port \(port) on \(host) is already in use" : nil
    }
}
