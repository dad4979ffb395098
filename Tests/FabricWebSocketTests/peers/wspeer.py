"""Python WebSocket peers the Swift tests drive (real clients, not the adapter's own code).

Each mode prints one JSON object per line on standard output for the test to read.

  slow URL TOKEN TOPIC RCVBUF  a hand-written client with a small receive buffer: subscribes,
                               stops reading until SIGUSR1, then reads until {"end": true}
  nopong URL TOKEN             a hand-written client that never answers pings
  frames URL TOKEN BIG FRAG    `websockets`: invalid JSON, a request, an oversized frame, an
                               oversized message in fragments
  raw URL TOKEN                `websockets`: raw mode round trip, text and binary
  protocol URL TOKEN           a hand-written client: ping → pong, its own close code echoed,
                               an unmasked frame refused
  deaf URL TOKEN COUNT RCVBUF  a hand-written client that sends COUNT invalid frames without
                               reading their answers, then reads until the close
"""
import asyncio
import base64
import json
import os
import signal
import socket
import struct
import sys
from urllib.parse import urlparse


def say(**fields):
    print(json.dumps(fields), flush=True)


class RawClient:
    """RFC 6455 by hand, so the test controls the socket: its buffer, when it reads, pongs."""

    def __init__(self, url, token, rcvbuf=0):
        parsed = urlparse(url)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect((parsed.hostname, parsed.port))
        path = parsed.path + ("?" + parsed.query if parsed.query else "")
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {parsed.hostname}:{parsed.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("closed during the handshake")
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(head.decode(errors="replace"))

    def _read(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def frame(self):
        """(fin, opcode, payload) of the next frame."""
        first, second = self._read(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read(8))[0]
        return first & 0x80, first & 0x0F, self._read(length)

    def message(self, pong=True):
        """(opcode, payload) of the next data or close message, answering pings on the way."""
        opcode, data = None, b""
        while True:
            fin, code, payload = self.frame()
            if code == 0x9:
                if pong:
                    self.send(payload, opcode=0xA)
                continue
            if code == 0xA:
                continue
            if code == 0x8:
                return code, payload
            if code != 0:
                opcode = code
            data += payload
            if fin:
                return opcode, data

    def send(self, payload, opcode=0x1, masked=True):
        if isinstance(payload, str):
            payload = payload.encode()
        if not masked:
            assert len(payload) < 126
            self.sock.sendall(bytes([0x80 | opcode, len(payload)]) + payload)
            return
        mask = os.urandom(4)
        header = bytes([0x80 | opcode])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)


def close_code(payload):
    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None


def slow(url, token, topic, rcvbuf):
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
    client = RawClient(url, token, int(rcvbuf))
    opcode, payload = client.message()
    assert json.loads(payload)["op"] == "ready", payload
    client.send(json.dumps({"op": "subscribe", "id": "s1", "topics": [topic]}))
    opcode, payload = client.message()
    assert json.loads(payload)["op"] == "subscribed", payload
    say(event="subscribed")
    signal.sigwait([signal.SIGUSR1])
    received = []
    try:
        while True:
            opcode, payload = client.message()
            if opcode == 0x8:
                say(event="closed", code=close_code(payload), received=received)
                return
            body = json.loads(payload.split(b"\n", 1)[0] if opcode == 0x2 else payload)
            if body.get("payload", {}).get("end"):
                say(event="done", received=received)
                return
            received.append(body["payload"]["n"])
    except EOFError:
        say(event="eof", received=received)


def nopong(url, token):
    client = RawClient(url, token)
    pings = 0
    try:
        while True:
            fin, code, payload = client.frame()
            if code == 0x9:
                pings += 1
                say(event="ping", count=pings)
            elif code == 0x8:
                say(event="closed", code=close_code(payload), pings=pings)
                return
    except EOFError:
        say(event="eof", pings=pings)


async def frames(url, token):
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    async with connect(url + "/v1/ws", additional_headers={"Authorization": "Bearer " + token}, max_size=None) as ws:
        assert json.loads(await ws.recv())["op"] == "ready"
        await ws.send("this is not JSON")
        error = json.loads(await ws.recv())
        say(event="error", code=error.get("code"), status=error.get("status"))
        await ws.send(json.dumps({"op": "request", "id": "r1", "type": "echo", "payload": {"after": "error"}}))
        response = json.loads(await ws.recv())
        say(event="response", status=response.get("status"), payload=response.get("payload", {}).get("payload"))
        await ws.send("x" * int(sys.argv[4]))
        try:
            while True:
                await ws.recv()
        except ConnectionClosed as closed:
            say(event="closed", frame="single", code=closed.rcvd.code if closed.rcvd else None)
    # A message in fragments, each under the frame limit, together over the message limit.
    async with connect(url + "/v1/ws", additional_headers={"Authorization": "Bearer " + token}, max_size=None) as ws:
        assert json.loads(await ws.recv())["op"] == "ready"
        fragment = "y" * int(sys.argv[5])
        try:
            await ws.send([fragment] * 5)
            while True:
                await ws.recv()
        except ConnectionClosed as closed:
            say(event="closed", frame="fragmented", code=closed.rcvd.code if closed.rcvd else None)


async def raw(url, token):
    from websockets.asyncio.client import connect

    async with connect(url + "/v1/raw/echo?access_token=" + token) as ws:
        await ws.send('{"hello":"raw"}')
        text = await ws.recv()
        await ws.send(b"\x00\x01binary")
        binary = await ws.recv()
        say(
            event="raw",
            text_kind=type(text).__name__,
            text=json.loads(text).get("payload"),
            binary_kind=type(binary).__name__,
            binary_len=len(binary),
        )


def protocol(url, token):
    client = RawClient(url, token)
    opcode, payload = client.message()
    assert json.loads(payload)["op"] == "ready", payload
    client.send(b"hi", opcode=0x9)
    while True:
        fin, code, payload = client.frame()
        if code == 0xA:
            say(event="pong", payload=payload.decode())
            break
    client.send(struct.pack("!H", 4321) + b"bye", opcode=0x8)
    while True:
        fin, code, payload = client.frame()
        if code == 0x8:
            say(event="echoed", code=close_code(payload))
            break
    client = RawClient(url, token)
    opcode, payload = client.message()
    client.send('{"op":"ack","sequence":1}', masked=False)
    try:
        while True:
            fin, code, payload = client.frame()
            if code == 0x8:
                say(event="unmasked", code=close_code(payload))
                return
    except EOFError:
        say(event="unmasked", code=None)


def deaf(url, token, count, rcvbuf):
    client = RawClient(url, token, int(rcvbuf))
    sent = 0
    try:
        for _ in range(int(count)):
            client.send("not JSON")
            sent += 1
    except OSError:
        pass  # the adapter closed the connection while we were still sending
    answers = 0
    try:
        while True:
            opcode, payload = client.message()
            if opcode == 0x8:
                say(event="closed", code=close_code(payload), answers=answers, sent=sent)
                return
            answers += 1
    except (EOFError, OSError):
        say(event="eof", answers=answers, sent=sent)


if __name__ == "__main__":
    mode, url, token = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "slow":
        slow(url, token, sys.argv[4], sys.argv[5])
    elif mode == "nopong":
        nopong(url, token)
    elif mode == "frames":
        asyncio.run(frames(url, token))
    elif mode == "raw":
        asyncio.run(raw(url, token))
    elif mode == "protocol":
        protocol(url, token)
    elif mode == "deaf":
        deaf(url, token, sys.argv[4], sys.argv[5])
