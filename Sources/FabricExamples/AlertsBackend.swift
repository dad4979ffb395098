import FabricCore
import FabricNATS
import FabricService
import Foundation

/// The `alerts` example backend: a threshold on a JSON field; readings above it are
/// published to topic `alerts/<sensor>` (type `alert.raised`).
public enum AlertsBackend {
    /// Creates the service; `field` is a JSON Pointer, `sensorField` names the sensor.
    public static func make(
        connection: NATSConnection, jetStream: JetStream, field: String = "/reading/celsius", threshold: Double = 50,
        sensorField: String = "/sensor"
    ) throws -> FabricService {
        let pointer = try JSONPointer(field)
        let sensorPointer = try JSONPointer(sensorField)
        let service = FabricService(name: "alerts", connection: connection, jetStream: jetStream)
        service.on(">") { request, context in
            guard let body = JSONCodec.parse(request.payload) else { return .status(.rejected, "payload is not JSON") }
            guard let value = body.value(at: pointer)?.numberValue else {
                return .status(.rejected, "payload has no number at \(field)")
            }
            guard value > threshold else { return try .ok(json: ["alert": false]) }
            let sensor = body.value(at: sensorPointer)?.stringValue ?? "unknown"
            let alert: JSONValue = .object([
                "sensor": .string(sensor), "value": .number(value), "threshold": .number(threshold),
                "type": .string(request.type),
            ])
            try context.publish(toTopic: "alerts/\(sensor)", type: "alert.raised", payload: Array(alert.compactText.utf8))
            return try .ok(json: ["alert": true])
        }
        return service
    }
}
