# SPDX-License-Identifier: MIT
"""WebSocket (RFC 6455) for the test peers, written from the RFC and the
protocol reference §1.4: RustDesk's web client talks to hbbs (TCP port + 2)
and hbbr (port + 2) over websocket, one binary message per protobuf
message, no BytesCodec header.  hbbr converts between the two framings
(rustdesk-server src/relay_server.rs: a websocket Binary message becomes
one BytesCodec frame on the TCP side and back; empty messages and
non-binary messages are not forwarded).

Server side (asyncio): ws_accept(reader, writer) runs the upgrade and
returns a (reader, writer) pair that looks like a plain BytesCodec TCP
stream to the existing servers: every incoming binary message appears as
one BytesCodec frame; every frame written becomes one binary message.

Client side (blocking): ws_connect(addr) upgrades a TCP connection;
WsBridge(sock) turns it into a local socket speaking BytesCodec frames, so
the technician client runs unchanged over websocket (as the web client's
Websock class frames one message per send)."""
import asyncio
import base64
import hashlib
import os
import select
import socket
import struct
import threading

try:
    from . import rdproto as rp
except ImportError:
    import rdproto as rp

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC11B65"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10
MAX_MESSAGE = 64 << 20          # tungstenite's default max message size
MAX_HEADER = 16384


class WsError(Exception):
    pass


def accept_key(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def encode(opcode, payload=b"", mask=False):
    """One final frame.  Clients must mask (RFC 6455 §5.3)."""
    payload = bytes(payload)
    n = len(payload)
    head = bytes([0x80 | opcode])
    mbit = 0x80 if mask else 0
    if n < 126:
        head += bytes([mbit | n])
    elif n < 65536:
        head += bytes([mbit | 126]) + struct.pack(">H", n)
    else:
        head += bytes([mbit | 127]) + struct.pack(">Q", n)
    if mask:
        k = os.urandom(4)
        payload = _xor(payload, k)
        head += k
    return head + payload


def _xor(data, k):
    if not data:
        return b""
    rep = (k * (len(data) // 4 + 1))[:len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(rep, "big")).to_bytes(
        len(data), "big")


class Decoder:
    """Incremental frame parser: feed(bytes) -> [(opcode, payload)] of
    complete messages (fragments reassembled, control frames passed as
    they come).  require_mask: a server must see masked client frames."""

    def __init__(self, require_mask=False, max_message=MAX_MESSAGE):
        self.buf = bytearray()
        self.require_mask = require_mask
        self.max_message = max_message
        self.frag_op = None
        self.frag = bytearray()

    def feed(self, data):
        self.buf += data
        out = []
        while True:
            if len(self.buf) < 2:
                return out
            b0, b1 = self.buf[0], self.buf[1]
            fin, op = bool(b0 & 0x80), b0 & 0x0F
            masked, n = bool(b1 & 0x80), b1 & 0x7F
            pos = 2
            if n == 126:
                if len(self.buf) < 4:
                    return out
                n = struct.unpack(">H", self.buf[2:4])[0]
                pos = 4
            elif n == 127:
                if len(self.buf) < 10:
                    return out
                n = struct.unpack(">Q", self.buf[2:10])[0]
                pos = 10
            if n > self.max_message:
                raise WsError(f"frame of {n} bytes over the limit")
            if self.require_mask and not masked:
                raise WsError("unmasked client frame")
            k = b""
            if masked:
                if len(self.buf) < pos + 4:
                    return out
                k = bytes(self.buf[pos:pos + 4])
                pos += 4
            if len(self.buf) < pos + n:
                return out
            payload = bytes(self.buf[pos:pos + n])
            del self.buf[:pos + n]
            if masked:
                payload = _xor(payload, k)
            if op >= 8:
                out.append((op, payload))
                continue
            if op != OP_CONT:
                self.frag_op, self.frag = op, bytearray()
            elif self.frag_op is None:
                raise WsError("continuation without a first fragment")
            self.frag += payload
            if len(self.frag) > self.max_message:
                raise WsError("message over the limit")
            if fin:
                out.append((self.frag_op, bytes(self.frag)))
                self.frag_op, self.frag = None, bytearray()


# ------------------------------------------------------------- server
class _FrameWriter:
    """asyncio StreamWriter look-alike: BytesCodec bytes written to it go
    out as one binary websocket message per frame."""

    def __init__(self, writer, on_frame=None):
        self._w = writer
        self._dec = rp.FrameDecoder(MAX_MESSAGE)
        self.on_frame = on_frame

    def write(self, data):
        for p in self._dec.feed(bytes(data)):
            if self.on_frame is not None:
                self.on_frame(p)
            if p:               # hbbr: `if !bytes.is_empty()`
                self._w.write(encode(OP_BINARY, p))

    async def drain(self):
        await self._w.drain()

    def close(self):
        if not self._w.is_closing():
            try:
                self._w.write(encode(OP_CLOSE, struct.pack(">H", 1000)))
            except (ConnectionError, RuntimeError, OSError):
                pass
        self._w.close()

    def is_closing(self):
        return self._w.is_closing()

    def get_extra_info(self, name, default=None):
        return self._w.get_extra_info(name, default)

    async def wait_closed(self):
        await self._w.wait_closed()


async def _read_upgrade(reader, timeout):
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    if len(head) > MAX_HEADER:
        raise WsError("upgrade request too long")
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0].startswith("GET "):
        raise WsError(f"not a GET: {lines[0][:40]!r}")
    hdr = {}
    for ln in lines[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            hdr[k.strip().lower()] = v.strip()
    if hdr.get("upgrade", "").lower() != "websocket" or "sec-websocket-key" not in hdr:
        raise WsError("not a websocket upgrade")
    return hdr


async def ws_accept(reader, writer, timeout=10.0):
    """Upgrades an accepted connection.  Returns (reader, writer) carrying
    BytesCodec frames (see module doc).  Raises WsError/asyncio errors on
    a bad upgrade (the caller closes)."""
    try:
        hdr = await _read_upgrade(reader, timeout)
    except asyncio.LimitOverrunError:
        raise WsError("upgrade request too long") from None
    writer.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Accept: "
                  f"{accept_key(hdr['sec-websocket-key'])}\r\n\r\n").encode())
    await writer.drain()
    framed = asyncio.StreamReader(limit=MAX_MESSAGE + 16)
    fw = _FrameWriter(writer)

    async def pump():
        dec = Decoder(require_mask=True)
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                for op, payload in dec.feed(data):
                    if op == OP_BINARY and payload:
                        framed.feed_data(rp.encode_frame(payload))
                    elif op == OP_PING:
                        writer.write(encode(OP_PONG, payload))
                    elif op == OP_CLOSE:
                        return
                    # text, pong, empty binary: hbbr forwards nothing
        except (WsError, ConnectionError, OSError):
            pass
        finally:
            framed.feed_eof()
    fw.pump_task = asyncio.ensure_future(pump())
    return framed, fw


# ------------------------------------------------------------- client
def ws_connect(addr, path="/", timeout=5.0):
    """Blocking: TCP connect + upgrade.  Returns (socket, leftover bytes)."""
    s = socket.create_connection(addr, timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    host = f"[{addr[0]}]:{addr[1]}" if ":" in addr[0] else f"{addr[0]}:{addr[1]}"
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Key: {key}\r\n\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            s.close()
            raise WsError("closed during the upgrade")
        buf += d
        if len(buf) > MAX_HEADER:
            s.close()
            raise WsError("upgrade answer too long")
    head, rest = buf.split(b"\r\n\r\n", 1)
    text = head.decode("latin-1")
    if " 101 " not in text.split("\r\n")[0] or accept_key(key) not in text:
        s.close()
        raise WsError(f"upgrade refused: {text.splitlines()[0]!r}")
    return s, rest


class WsBridge:
    """Runs a websocket client connection behind a local socket: what the
    caller writes to .sock as BytesCodec frames goes out as one masked
    binary message per frame; each binary message received comes back as
    one frame.  Stops when either side closes."""

    def __init__(self, ws_sock, leftover=b""):
        self.ws = ws_sock
        self.sock, self._inner = socket.socketpair()
        self.messages_in = 0
        self.messages_out = 0
        self._leftover = leftover
        self._t = threading.Thread(target=self._run, daemon=True, name="ws-bridge")
        self._t.start()

    def _run(self):
        dec = Decoder()
        fdec = rp.FrameDecoder(MAX_MESSAGE)
        try:
            if self._leftover:
                self._from_ws(dec.feed(self._leftover))
            while True:
                r, _, _ = select.select([self.ws, self._inner], [], [])
                if self.ws in r:
                    d = self.ws.recv(262144)
                    if not d or not self._from_ws(dec.feed(d)):
                        return
                if self._inner in r:
                    d = self._inner.recv(262144)
                    if not d:
                        try:
                            self.ws.sendall(encode(OP_CLOSE, struct.pack(">H", 1000),
                                                   mask=True))
                        except OSError:
                            pass
                        return
                    for p in fdec.feed(d):
                        self.ws.sendall(encode(OP_BINARY, p, mask=True))
                        self.messages_out += 1
        except (OSError, WsError, rp.ProtoError):
            pass
        finally:
            rp.close_quietly(self.ws)
            rp.close_quietly(self._inner)

    def _from_ws(self, msgs):
        for op, payload in msgs:
            if op == OP_BINARY:
                self._inner.sendall(rp.encode_frame(payload))
                self.messages_in += 1
            elif op == OP_PING:
                self.ws.sendall(encode(OP_PONG, payload, mask=True))
            elif op == OP_CLOSE:
                return False
        return True


def ws_socket(addr, path="/", timeout=5.0):
    """ws_connect + WsBridge: a local socket carrying BytesCodec frames."""
    s, rest = ws_connect(addr, path, timeout)
    s.settimeout(None)
    return WsBridge(s, rest).sock
