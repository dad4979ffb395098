import FabricAuth
import FabricCore
import FabricNATS
import Logging

/// What every session of one adapter instance shares.
struct SessionContext: Sendable {
    let config: WebSocketConfig
    let connection: NATSConnection
    let verifier: VerifiedTokens
    let priorities: PriorityTableState
    let admission: MessageAdmission
    let registry: SessionRegistry
    let fanout: TopicFanout
    let metrics: WebSocketMetrics
    let instance: String
    let logger: Logger
    /// Clock skew tolerated on `exp`: a session's token counts as expired this long after its `exp`.
    let leeway: Duration
    /// Largest payload published: `ws.limits.max_payload`, never more than the server's `max_payload`.
    let payloadLimit: Int
    /// Headers a frame's `headers` may forward.
    let forwarded: Set<String>
}
