import FabricCore
import Foundation
import Logging
import Metrics
import NIOCore
import Synchronization

extension WebSocketSession {
    /// A whole message from the client (`WebSocketConnection`, on the event loop).
    func receive(_ bytes: [UInt8], text: Bool) {
        if text, String(validating: bytes, as: UTF8.self) == nil {
            buffer.close(.invalidData, "a text message must be UTF-8", flush: false)
            return
        }
        let allowed = state.withLock { $0.bucket.take(now: DispatchTime.now().uptimeNanoseconds) }
        if case .raw(let type) = mode {
            guard allowed else {
                buffer.close(.overloaded, "more than \(context.config.limits.rate) messages a second", flush: false)
                return
            }
            spawn { await self.rawRequest(type: type, payload: bytes, text: text) }
            return
        }
        guard allowed else {
            reject(FrameError("rate-limited", "more than \(context.config.limits.rate) messages a second", status: .unavailable))
            return
        }
        let frame: ClientFrame
        do {
            frame =
                text ? try ClientFrame.parse(text: String(decoding: bytes, as: UTF8.self)) : try ClientFrame.parse(binary: bytes)
        } catch {
            reject(error)
            return
        }
        switch frame {
        case .publish(let message, let ack):
            spawn { await self.publish(message, ack: ack) }
        case .request(let message, let id):
            spawn { await self.request(message, id: id) }
        case .subscribe(let id, let topics):
            spawn { await self.subscribe(topics, id: id) }
        case .unsubscribe(let id, let topics):
            unsubscribe(topics, id: id)
        case .ack(let sequence, let id):
            acknowledge(sequence: sequence, id: id)
        case .refresh(let id, let token):
            spawn { await self.refresh(token: token, id: id) }
        }
    }

    /// Answers a frame that could not be taken; the connection stays open.
    func reject(_ error: FrameError, id: String? = nil) {
        context.metrics.errorFrames.increment()
        buffer.push(reply: .error(error, id: id))
    }
}
