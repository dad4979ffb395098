import FabricCore
import Foundation
import HummingbirdWebSocket
import Logging
import Metrics
import NIOCore
import NIOWebSocket
import Synchronization

extension WebSocketSession {
    /// Reads messages until the client closes, the connection fails or the session closes.
    ///
    /// Frames are put together into messages here (not by `messages(maxSize:)`) so the
    /// adapter itself answers an oversized message with 1009 and a text message that is not
    /// UTF-8 with 1007. Publishes and requests run in their own tasks; the reader goes on.
    func read(_ inbound: WebSocketInboundStream) async {
        let maxSize = context.config.limits.maxMessageSize
        await withDiscardingTaskGroup { group in
            var iterator = inbound.makeAsyncIterator()
            var opcode: WebSocketDataFrame.Opcode?
            var collected = ByteBuffer()
            do {
                while !buffer.isClosing, let frame = try await iterator.next() {
                    switch frame.opcode {
                    case .text, .binary:
                        guard opcode == nil else {
                            buffer.close(.protocolError, "a new message began inside a fragmented one", flush: false)
                            return
                        }
                        opcode = frame.opcode
                        collected = frame.data
                    case .continuation:
                        guard opcode != nil else {
                            buffer.close(.protocolError, "a continuation frame without a message", flush: false)
                            return
                        }
                        var data = frame.data
                        collected.writeBuffer(&data)
                    }
                    guard collected.readableBytes <= maxSize else {
                        buffer.close(.tooLarge, "message larger than \(maxSize) bytes", flush: false)
                        return
                    }
                    guard frame.fin, let kind = opcode else { continue }
                    opcode = nil
                    let bytes = Array(collected.readableBytesView)
                    collected = ByteBuffer()
                    context.metrics.framesIn.increment()
                    context.metrics.bytesIn.increment(by: bytes.count)
                    receive(bytes, text: kind == .text, group: &group)
                }
            } catch {
                logger.debug("connection read ended", metadata: ["client": "\(clientID)", "error": "\(error)"])
            }
        }
    }

    private func receive(_ bytes: [UInt8], text: Bool, group: inout DiscardingTaskGroup) {
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
            group.addTask { await self.rawRequest(type: type, payload: bytes, text: text) }
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
            group.addTask { await self.publish(message, ack: ack) }
        case .request(let message, let id):
            group.addTask { await self.request(message, id: id) }
        case .subscribe(let id, let topics):
            group.addTask { await self.subscribe(topics, id: id) }
        case .unsubscribe(let id, let topics):
            unsubscribe(topics, id: id)
        case .ack(let sequence, let id):
            acknowledge(sequence: sequence, id: id)
        case .refresh(let id, let token):
            group.addTask { await self.refresh(token: token, id: id) }
        }
    }

    /// Answers a frame that could not be taken; the connection stays open.
    func reject(_ error: FrameError, id: String? = nil) {
        context.metrics.errorFrames.increment()
        buffer.push(reply: .error(error, id: id))
    }
}
