"""ws.py - a WebSocket client for the ingest tests, built on the standard
library so that a test can also send what no well-behaved client would: bad
opcodes, RSV bits, invalid UTF-8, oversized control frames, cut fragments.

Connection(port, site=..., origin=...) opens TLS (the server's certificate is
self-signed: not verified) and upgrades; `status` holds the HTTP status when
the upgrade is refused (then the socket is closed).
"""

import base64
import gzip
import json
import os
import socket
import ssl
import struct
import time

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Closed(Exception):
    """The server closed the connection; code is its close code (or None)."""

    def __init__(self, code=None, reason=b""):
        super().__init__(f"closed {code} {reason!r}")
        self.code = code
        self.reason = reason


class Connection:
    def __init__(self, port, site="test-key", origin="https://shop.test", host="127.0.0.1",
                 protocol="veil.v1", headers=None, timeout=10.0, path=None):
        raw = socket.create_connection((host, port), timeout=timeout)
        self.sock = tls_context().wrap_socket(raw, server_hostname="localhost")
        self.buf = b""
        self.status = None
        self.close_code = None
        key = base64.b64encode(os.urandom(16)).decode()
        target = path if path is not None else f"/?site={site}"
        lines = [f"GET {target} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        if protocol:
            lines.append(f"Sec-WebSocket-Protocol: {protocol}")
        if origin:
            lines.append(f"Origin: {origin}")
        lines += headers or []
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = self._read_until(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1])
        self.head = head
        if self.status != 101:
            self.sock.close()

    # ---- bytes -------------------------------------------------------------
    def _read_until(self, marker):
        while marker not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed()
            self.buf += chunk
        head, self.buf = self.buf.split(marker, 1)
        return head

    # ---- frames ------------------------------------------------------------
    def frame(self, opcode, payload, fin=True, rsv=0, mask=True):
        """Sends one frame, exactly as asked."""
        first = (0x80 if fin else 0) | (rsv << 4) | opcode
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", first, (0x80 if mask else 0) | n)
        elif n < 65536:
            header = struct.pack("!BBH", first, (0x80 if mask else 0) | 126, n)
        else:
            header = struct.pack("!BBQ", first, (0x80 if mask else 0) | 127, n)
        if mask:
            key = os.urandom(4)
            body = bytes(b ^ key[i % 4] for i, b in enumerate(payload)) if n < 4096 else \
                _xor(payload, key)
            self.sock.sendall(header + key + body)
        else:
            self.sock.sendall(header + payload)

    def send_json(self, obj, gz=False):
        data = json.dumps(obj, separators=(",", ":")).encode()
        self.send_bytes(data, gz)

    def send_bytes(self, data, gz=False):
        if gz:
            self.frame(BINARY, gzip.compress(data))
        else:
            self.frame(TEXT, data)

    def _parse_frame(self):
        """(opcode, payload) of a whole frame at the start of buf, or None."""
        b = self.buf
        if len(b) < 2:
            return None
        n, at = b[1] & 0x7F, 2
        if n == 126:
            if len(b) < 4:
                return None
            n, at = struct.unpack("!H", b[2:4])[0], 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, at = struct.unpack("!Q", b[2:10])[0], 10
        if len(b) < at + n:
            return None
        self.buf = b[at + n:]
        return b[0] & 0x0F, b[at:at + n]

    def recv_frame(self):
        """The next frame; a timeout leaves what was read for the next call."""
        while True:
            frame = self._parse_frame()
            if frame:
                return frame
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed(self.close_code)
            self.buf += chunk

    def recv(self, timeout=10.0):
        """The next message as a dict; raises Closed with the close code."""
        self.sock.settimeout(timeout)
        while True:
            opcode, payload = self.recv_frame()
            if opcode == CLOSE:
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise Closed(self.close_code, payload[2:])
            if opcode == PING:
                self.frame(PONG, payload)
                continue
            if opcode in (TEXT, BINARY):
                return json.loads(payload)

    def until_closed(self, timeout=10.0):
        """Reads until the close frame; returns (messages, close code)."""
        got = []
        try:
            while True:
                got.append(self.recv(timeout))
        except Closed as c:
            return got, c.code
        except (socket.timeout, ConnectionError, ssl.SSLError, OSError):
            return got, None

    def close(self):
        try:
            self.frame(CLOSE, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()

    # ---- the protocol ------------------------------------------------------
    def hello(self, site="test-key", page="https://shop.test/", session=None):
        msg = {"t": "hello", "site": site, "page": page, "snippet": "test"}
        if session:
            msg.update(session=session["session"], token=session["token"],
                       resume=session.get("last", 0))
        self.send_json(msg)
        return self.recv()

    def batch(self, seq, events, gz=False):
        body = json.dumps(events, separators=(",", ":"))
        self.send_bytes(f'{{"t":"batch","seq":{seq},"events":{body}}}'.encode(), gz)


def _xor(data, key):
    k = int.from_bytes(key * 2, "little")
    whole = len(data) // 8 * 8
    out = bytearray(len(data))
    for i in range(0, whole, 8):
        struct.pack_into("<Q", out, i, struct.unpack_from("<Q", data, i)[0] ^ k)
    for i in range(whole, len(data)):
        out[i] = data[i] ^ key[i % 4]
    return bytes(out)


def meta(href="https://shop.test/", t=None):
    return {"type": 4, "data": {"href": href, "width": 1280, "height": 800},
            "timestamp": t or int(time.time() * 1000)}


def snapshot(inputs, t=None):
    """A full snapshot of a page holding the given (id, attributes) inputs."""
    children = [{"type": 2, "tagName": "input", "attributes": attrs, "childNodes": [], "id": i}
                for i, attrs in inputs]
    body = {"type": 2, "tagName": "body", "attributes": {}, "childNodes": children, "id": 3}
    html = {"type": 2, "tagName": "html", "attributes": {}, "childNodes": [body], "id": 2}
    doc = {"type": 0, "childNodes": [html], "id": 1}
    return {"type": 2, "data": {"node": doc, "initialOffset": {"top": 0, "left": 0}},
            "timestamp": t or int(time.time() * 1000)}


def typed(node_id, text, t=None):
    return {"type": 3, "data": {"source": 5, "text": text, "isChecked": False, "id": node_id},
            "timestamp": t or int(time.time() * 1000)}


def custom(tag, payload, t=None):
    return {"type": 5, "data": {"tag": tag, "payload": payload},
            "timestamp": t or int(time.time() * 1000)}
