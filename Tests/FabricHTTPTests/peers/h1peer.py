"""A hand-written HTTP/1.1 client for the HTTP adapter's connection tests: what a library
would not send (pipelined requests, a half-closed socket, garbage).

Usage: h1peer.py MODE PORT TOKEN [ARGS...]; prints one JSON line per observation:
  pipeline COUNT    COUNT requests in one write: every answer, in order, on one connection
  halfclose         a complete request, then the socket's write side shut: the answer, then the close
  oversized SIZE    a SIZE-byte body (past the limit): the answer, then a request on the same connection
  malformed         a request line that is not HTTP: the answer, and the close
  continue          a request that waits for 100 Continue before its body: both answers
  closefirst NONCE  a request saying Connection: close, then a publish of NONCE, in one write
  badafter          a request, then bytes that are not HTTP, in one write: both answers, in order
  publish TYPE NONCE  one publish of NONCE, answered
  burst COUNT       a request that waits on NATS, then COUNT answered at once, in one write
  sse               an event stream, its head read, then the connection closed
"""

import json
import socket
import sys


def emit(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""
        self.closed = False

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            self.closed = True
        self.buffer += data
        return bool(data)

    def response(self):
        """One response with a Content-Length body, or None at the end of the stream."""
        while b"\r\n\r\n" not in self.buffer:
            if not self.fill():
                return None
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            if not self.fill():
                break
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return {"status": status, "headers": headers, "body": body.decode("utf-8", "replace")}

    def at_end(self):
        """True when the server closes the connection with nothing more sent."""
        while not self.closed:
            if self.fill():
                return False
        return self.buffer == b""


def request(path, token, body, extra=""):
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n{extra}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


def main():
    mode, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(30)
    reader = Reader(sock)
    if mode == "pipeline":
        count = int(sys.argv[4])
        sock.sendall(b"".join(request("/v1/request/echo", token, b'{"n":%d}' % n) for n in range(1, count + 1)))
        answers = [reader.response() for _ in range(count)]
        emit("answers", statuses=[a["status"] if a else None for a in answers],
             order=[json.loads(a["body"])["payload"]["n"] if a and a["status"] == 200 else None for a in answers])
    elif mode == "halfclose":
        sock.sendall(request("/v1/request/echo", token, b'{"n":3}'))
        sock.shutdown(socket.SHUT_WR)
        answer = reader.response()
        emit("answer", status=answer["status"] if answer else None, closed=reader.at_end())
    elif mode == "oversized":
        size = int(sys.argv[4])
        sock.sendall(request("/v1/request/echo", token, b"a" * size))
        answer = reader.response()
        sock.sendall(request("/v1/request/echo", token, b'{"n":4}'))
        after = reader.response()
        emit("answer", status=answer["status"] if answer else None, next=after["status"] if after else None)
    elif mode == "continue":
        whole = request("/v1/request/echo", token, b'{"n":5}')
        head, body = whole.split(b"\r\n\r\n", 1)
        sock.sendall(head + b"\r\nExpect: 100-continue\r\n\r\n")
        interim = reader.response()
        sock.sendall(body)
        answer = reader.response()
        emit("answers", statuses=[interim["status"] if interim else None, answer["status"] if answer else None])
    elif mode == "closefirst":
        nonce = sys.argv[4].encode()
        # The first is answered at once (no route), inside the read that brought both.
        sock.sendall(request("/v1/nowhere", token, b'{"n":6}', "Connection: close\r\n")
                     + request("/v1/publish/note.afterclose", token, b'{"nonce":"' + nonce + b'"}'))
        answer = reader.response()
        emit("answer", status=answer["status"] if answer else None, closed=reader.at_end())
    elif mode == "badafter":
        sock.sendall(request("/v1/request/echo", token, b'{"n":7}') + b"GARBAGE\r\n\r\n")
        answers = [reader.response(), reader.response()]
        emit("answers", statuses=[a["status"] if a else None for a in answers], closed=reader.at_end())
    elif mode == "burst":
        count = int(sys.argv[4])
        sock.sendall(request("/v1/request/echo", token, b'{"n":8}')
                     + b"".join(request("/v1/nowhere", token, b"{}") for _ in range(count)))
        statuses = [(reader.response() or {}).get("status") for _ in range(count + 1)]
        emit("answers", first=statuses[0], notFound=statuses[1:].count(404))
    elif mode == "sse":
        sock.sendall(f"GET /v1/events?topic=h1.gone HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
        answer = reader.response()
        emit("stream", status=answer["status"] if answer else None)
        sock.close()
    elif mode == "publish":
        kind, nonce = sys.argv[4], sys.argv[5].encode()
        sock.sendall(request("/v1/publish/" + kind, token, b'{"nonce":"' + nonce + b'"}'))
        answer = reader.response()
        emit("answer", status=answer["status"] if answer else None)
    elif mode == "malformed":
        sock.sendall(b"GARBAGE\r\n\r\n")
        answer = reader.response()
        emit("answer", status=answer["status"] if answer else None, closed=reader.at_end())
    else:
        raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main()
