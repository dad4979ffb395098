"""An HTTP/2 client on the `h2` library (hyper-h2) for the HTTP adapter's protocol tests.

Usage: h2peer.py MODE PORT TOKEN [ARGS...]; prints one JSON line per observation:
  settings                  the server's SETTINGS
  upload SIZE               POST /v1/request/echo with a SIZE-byte body, sent as flow control allows
  stall                     HEADERS of a POST and never its body; the answer and the reset
  malformed                 malformed header blocks (no :path, an upper-case name, CR LF in a value,
                            a connection field, a pseudo-header field last; a HEAD; one whose body
                            is still to come) and trailers, then a valid request on the same connection
  reset                     an event stream reset by the client, then a request on the same connection
  garbage                   a DATA frame on stream 0 (a connection error): the GOAWAY, and the close
  tlsidle                   h2 over TLS (ALPN), no stream at all: the GOAWAY, and the close (this
                            client never answers the server's PING after the GOAWAY)
  close stream|none         raw frames, a client that answers the PING after a GOAWAY (h2 would
                            not): with an event stream open (reset after the second GOAWAY) or
                            none, the GOAWAYs of the server's graceful close, and the close
"""

import struct

import json
import socket
import ssl
import sys

import h2.config
import h2.connection
import h2.events
import h2.exceptions


def emit(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


class Client:
    def __init__(self, port, validate=True, tls=False):
        self.sock = socket.create_connection(("127.0.0.1", port))
        if tls:
            # The test certificate is self-signed; only the protocol is under test here.
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            context.set_alpn_protocols(["h2"])
            self.sock = context.wrap_socket(self.sock, server_hostname="localhost")
            if self.sock.selected_alpn_protocol() != "h2":
                raise SystemExit("ALPN did not pick h2")
        self.sock.settimeout(60)
        config = h2.config.H2Configuration(
            client_side=True, header_encoding="utf-8",
            validate_outbound_headers=validate, normalize_outbound_headers=validate)
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.initiate_connection()
        self.flush()
        self.responses = {}  # stream id -> {"status", "headers", "body", "ended", "reset"}
        self.settings = None
        self.closed = False
        self.goaway = None

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def read(self):
        data = self.sock.recv(65536)
        if not data:
            self.closed = True
            return
        for event in self.conn.receive_data(data):
            if isinstance(event, h2.events.RemoteSettingsChanged):
                self.settings = {int(k): v.new_value for k, v in event.changed_settings.items()}
            elif isinstance(event, h2.events.ResponseReceived):
                headers = dict(event.headers)
                self.responses[event.stream_id] = {
                    "status": int(headers[":status"]), "headers": headers, "body": b"", "ended": False, "reset": None}
            elif isinstance(event, h2.events.DataReceived):
                self.responses[event.stream_id]["body"] += event.data
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                self.responses[event.stream_id]["ended"] = True
            elif isinstance(event, h2.events.ConnectionTerminated):
                self.goaway = int(event.error_code)
            elif isinstance(event, h2.events.StreamReset):
                self.responses.setdefault(event.stream_id, {"status": None, "headers": {}, "body": b"", "ended": False})
                self.responses[event.stream_id]["reset"] = int(event.error_code)
        self.flush()

    def until(self, done):
        while not done() and not self.closed:
            self.read()

    def request(self, method, path, token, body=None, end=True):
        stream = self.conn.get_next_available_stream_id()
        headers = [(":method", method), (":scheme", "http"), (":authority", "127.0.0.1"), (":path", path),
                   ("authorization", "Bearer " + token)]
        if body is not None:
            headers += [("content-type", "application/json"), ("content-length", str(len(body)))]
        self.conn.send_headers(stream, headers, end_stream=end and body is None)
        self.flush()
        return stream

    def send_body(self, stream, body):
        """Sends as much as flow control allows, waiting for window updates in between."""
        offset = 0
        while offset < len(body):
            window = min(self.conn.local_flow_control_window(stream), self.conn.max_outbound_frame_size)
            if window <= 0:
                self.read()
                continue
            chunk = body[offset:offset + window]
            offset += len(chunk)
            self.conn.send_data(stream, chunk, end_stream=offset == len(body))
            self.flush()

    def finished(self, stream):
        response = self.responses.get(stream)
        return response is not None and (response["ended"] or response.get("reset") is not None)


def response_fields(client, stream):
    response = client.responses.get(stream, {})
    return {"status": response.get("status"), "bytes": len(response.get("body", b"")),
            "body": response.get("body", b"").decode("utf-8", "replace")[:200],
            "date": response.get("headers", {}).get("date"), "reset": response.get("reset"),
            "ended": response.get("ended", False)}


def main():
    mode, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if mode == "settings":
        client = Client(port)
        client.until(lambda: client.settings is not None)
        emit("settings", max_concurrent_streams=client.settings.get(3), initial_window_size=client.settings.get(4),
             max_header_list_size=client.settings.get(6))
    elif mode == "upload":
        size = int(sys.argv[4])
        payload = json.dumps({"data": "x" * (size - 12)}).encode()
        client = Client(port)
        stream = client.request("POST", "/v1/request/echo", token, body=payload, end=False)
        client.send_body(stream, payload)
        client.until(lambda: client.finished(stream))
        fields = response_fields(client, stream)
        fields["sent"] = len(payload)
        fields["echoed"] = len(json.loads(client.responses[stream]["body"]).get("payload", {}).get("data", "")) + 12 \
            if fields["status"] == 200 else None
        fields.pop("body")
        emit("response", **fields)
    elif mode == "stall":
        client = Client(port)
        stream = client.request("POST", "/v1/request/echo", token, body=b"{}", end=False)
        client.until(lambda: client.finished(stream) and client.responses[stream].get("reset") is not None)
        emit("response", **response_fields(client, stream))
    elif mode == "malformed":
        # Header blocks RFC 9113 calls malformed, each answered on its own stream; trailers
        # with a pseudo-header field; then a valid request on the same connection.
        client = Client(port, validate=False)
        base = [(":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1")]
        blocks = {
            "nopath": base,
            "uppercase": base + [(":path", "/v1/nowhere"), ("X-Upper", "1")],
            "newline": base + [(":path", "/v1/nowhere"), ("x-field", "a\r\nb")],
            "connection": base + [(":path", "/v1/nowhere"), ("connection", "close")],
            "late": [(":method", "GET"), ("x-field", "1"), (":scheme", "http"), (":path", "/v1/nowhere")],
        }
        for name, headers in blocks.items():
            stream = client.conn.get_next_available_stream_id()
            client.conn.send_headers(stream, headers, end_stream=True)
            client.flush()
            client.until(lambda: client.finished(stream))
            emit(name, **response_fields(client, stream))
        # HEAD: the answer has no body (nio-http2 would refuse one, and the stream never end).
        stream = client.conn.get_next_available_stream_id()
        client.conn.send_headers(stream, [(":method", "HEAD")] + base[1:] + [(":path", "/"), ("X-Upper", "1")],
                                 end_stream=True)
        client.flush()
        client.until(lambda: client.finished(stream))
        emit("head", **response_fields(client, stream))
        # A client still sending its body gets the answer, then the stream error.
        stream = client.conn.get_next_available_stream_id()
        client.conn.send_headers(stream, [(":method", "POST")] + base[1:] + [(":path", "/"), ("X-Upper", "1")],
                                 end_stream=False)
        client.flush()
        client.until(lambda: client.responses.get(stream, {}).get("reset") is not None)
        emit("unended", **response_fields(client, stream))
        stream = client.request("POST", "/v1/request/echo", token, body=b"{}", end=False)
        client.conn.send_data(stream, b"{}")
        client.conn.send_headers(stream, [(":path", "/"), ("x-trailer", "1")], end_stream=True)
        client.flush()
        client.until(lambda: client.finished(stream))
        emit("trailers", **response_fields(client, stream))
        second = client.request("GET", "/v1/nowhere", token)
        client.until(lambda: client.finished(second))
        emit("response", **response_fields(client, second))
    elif mode == "reset":
        client = Client(port)
        events = client.request("GET", "/v1/events?topic=h2.reset", token)
        client.until(lambda: events in client.responses)
        emit("stream", status=client.responses[events]["status"])
        client.conn.reset_stream(events, error_code=8)  # CANCEL
        client.flush()
        second = client.request("GET", "/v1/nowhere", token)
        client.until(lambda: client.finished(second))
        emit("response", **response_fields(client, second))
        # The connection stays open (until the server closes it) so that what the server does
        # with the reset stream is seen apart from what it does when a connection closes.
        try:
            client.until(lambda: False)
        except Exception:
            pass
    elif mode == "tlsidle":
        client = Client(port, tls=True)
        try:
            client.until(lambda: False)
        except h2.exceptions.ProtocolError:
            # h2 takes the connection for closed at the first GOAWAY and refuses the PING that
            # follows it, so it never answers: the server must close the connection anyway,
            # once its grace time is over. Read the socket to its end without h2.
            try:
                while client.sock.recv(65536):
                    pass
                client.closed = True
            except (ssl.SSLError, ConnectionResetError):
                client.closed = True
        except (ssl.SSLError, ConnectionResetError):
            client.closed = True  # the server closed without TLS's close_notify
        emit("closed", goaway=client.goaway, closed=client.closed)
    elif mode == "garbage":
        client = Client(port)
        client.until(lambda: client.settings is not None)
        client.sock.sendall(b"\x00\x00\x00\x00\x00\x00\x00\x00\x00")
        try:
            client.until(lambda: False)
        except h2.exceptions.ProtocolError:
            pass
        emit("closed", goaway=client.goaway, closed=client.closed)
    elif mode == "close":
        close_with_raw_frames(port, token, sys.argv[4] == "stream")
    else:
        raise SystemExit("unknown mode " + mode)


def close_with_raw_frames(port, token, open_stream):
    import hpack

    def frame(kind, flags, stream, payload=b""):
        return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload

    sock = socket.create_connection(("127.0.0.1", port))
    # Longer than the server needs, shorter than the test's grace time: a close that waits
    # for the grace timer is reported as no close.
    sock.settimeout(10)
    sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0))
    if open_stream:
        block = hpack.Encoder().encode([
            (":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1"),
            (":path", "/v1/events?topic=h2.close"), ("authorization", "Bearer " + token)])
        sock.sendall(frame(1, 0x5, 1, block))  # HEADERS, END_STREAM: the answer keeps the stream open
    buffer, goaways, answered, closed = b"", [], False, False
    try:
        while not closed:
            data = sock.recv(65536)
            if not data:
                closed = True
                break
            buffer += data
            while len(buffer) >= 9 and len(buffer) >= 9 + int.from_bytes(buffer[:3], "big"):
                length = int.from_bytes(buffer[:3], "big")
                kind, flags = buffer[3], buffer[4]
                stream = int.from_bytes(buffer[5:9], "big") & 0x7FFFFFFF
                payload, buffer = buffer[9:9 + length], buffer[9 + length:]
                if kind == 4 and not flags & 1:
                    sock.sendall(frame(4, 1, 0))  # SETTINGS ACK
                elif kind == 6 and not flags & 1:
                    sock.sendall(frame(6, 1, 0, payload))  # PING ACK
                elif kind == 1 and stream == 1:
                    answered = True
                elif kind == 7:
                    goaways += [int.from_bytes(payload[:4], "big") & 0x7FFFFFFF, int.from_bytes(payload[4:8], "big")]
                else:
                    continue
                # The stream, served on through the close, is ended once both GOAWAYs are in.
                if open_stream and answered and len(goaways) == 4:
                    sock.sendall(frame(3, 0, 1, struct.pack(">I", 8)))  # RST_STREAM CANCEL
                    open_stream = False
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
    emit("closed", goaways=goaways, answered=answered, closed=closed)


if __name__ == "__main__":
    main()
