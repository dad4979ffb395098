import FabricCore
import FabricNATS
import Logging
import ServiceLifecycle

/// Closes this instance's event stream of a client whose session another connection took
/// over, wherever that connection is (another instance, another protocol): every session
/// start is a presence connect, and a connect of another session of a client this
/// instance holds ends the stream here with `event: close` `{"reason":"session-taken-over"}`.
///
/// A second stream on this instance is handled when it opens (`EventStreamRegistry.add`);
/// its own connect then finds nothing left to take over.
struct SessionTakeoverWatch: Service {
    let connection: NATSConnection
    let registry: EventStreamRegistry
    let logger: Logger

    func run() async {
        let subscription: NATSSubscription
        do {
            subscription = try connection.subscribe(to: FabricNames.Subject.presenceConnect) { [registry] message in
                guard let event = try? PresenceEvent.decode(message.payload) else { return }
                registry.sessionStarted(event)
            }
        } catch {
            // Takeovers on this instance still work; from elsewhere the old stream stays open.
            logger.error("cannot watch session starts", metadata: ["error": "\(error)"])
            return
        }
        try? await gracefulShutdown()
        subscription.unsubscribe()
    }
}
