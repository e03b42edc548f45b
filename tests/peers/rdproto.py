# SPDX-License-Identifier: MIT
"""Shared helpers for the Python test peers (rendezvous.py, relay.py,
initiator.py, selftest.py).  Written from the protocol reference
(/work/shared/protocol/rustdesk-protocol.md); never reads the agent's C code.

Contents
  * load_protos()      compile agent/wire/proto/*.proto with protoc and import
                       them (cached in $OP_PEERS_GEN or a temp dir)
  * encode_frame / FrameDecoder            BytesCodec framing (§1.2)
  * addr_encode / addr_decode              AddrMangle (§1.5)
  * FramedSocket (blocking), read_frame_async / write_frame_async (asyncio)
  * SecretBoxCodec                         §5.4 frame encryption (TCP mode)
  * rmsg / parse_rmsg                      RendezvousMessage build / parse
  * sign_id_pk / open_id_pk                hbbs' IdPk signature (§5.2)
"""
import asyncio
import base64
import hashlib
import importlib.util
import ipaddress
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import concurrent.futures

import warnings

import nacl.exceptions
import nacl.public
import nacl.secret
import nacl.signing

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.environ.get(
    "OP_PROTO_DIR",
    os.path.normpath(os.path.join(HERE, "..", "..", "agent", "wire", "proto")))
PROTOC = os.environ.get("PROTOC", "protoc")

MAX_FRAME = 0x3FFFFFFF          # largest length BytesCodec can express
DEFAULT_MAX_FRAME = 1 << 24     # default read limit of our helpers (16 MiB)


class ProtoError(Exception):
    """Malformed frame, message or address."""


# --------------------------------------------------------------- protobuf
_MODS = {}


def load_protos():
    """Returns (rendezvous_pb2, message_pb2).  protoc runs once per content
    hash of the .proto files; the generated modules are cached in
    $OP_PEERS_GEN (or <tmp>/outpost-peers-gen) and registered in
    sys.modules under fixed names so that every importer shares them."""
    if "rendezvous" in _MODS:
        return _MODS["rendezvous"], _MODS["message"]
    names = ("rendezvous", "message")
    cached = [sys.modules.get(f"outpost_peers_{n}_pb2") for n in names]
    if all(cached):
        _MODS.update(zip(names, cached))
        return cached[0], cached[1]
    h = hashlib.sha256()
    for n in names:
        with open(os.path.join(PROTO_DIR, n + ".proto"), "rb") as f:
            h.update(f.read())
    base = os.environ.get("OP_PEERS_GEN") or os.path.join(
        tempfile.gettempdir(), f"outpost-peers-gen-{os.getuid()}")
    out = os.path.join(base, h.hexdigest()[:16])
    if not all(os.path.exists(os.path.join(out, n + "_pb2.py")) for n in names):
        os.makedirs(base, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix="gen-", dir=base)
        subprocess.run([PROTOC, f"--python_out={tmp}", f"--proto_path={PROTO_DIR}"]
                       + [n + ".proto" for n in names], check=True)
        try:
            os.rename(tmp, out)
        except OSError:         # someone else won the race; use theirs
            if os.path.exists(os.path.join(out, "rendezvous_pb2.py")):
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                out = tmp
    for n in names:
        modname = f"outpost_peers_{n}_pb2"
        spec = importlib.util.spec_from_file_location(
            modname, os.path.join(out, n + "_pb2.py"))
        mod = importlib.util.module_from_spec(spec)
        sys.modules[modname] = mod
        spec.loader.exec_module(mod)
        _MODS[n] = mod
    return _MODS["rendezvous"], _MODS["message"]


pb, mpb = load_protos()
# upb warns (instead of failing) on a stray end-group tag; parse_rmsg turns
# the short parse into a ProtoError, so the warning is noise.
warnings.filterwarnings("ignore", message="Unexpected end-group tag")
RendezvousMessage = pb.RendezvousMessage
NAT_UNKNOWN, NAT_ASYMMETRIC, NAT_SYMMETRIC = 0, 1, 2
RK = pb.RegisterPkResponse      # RK.OK, RK.UUID_MISMATCH, ...
PHR = pb.PunchHoleResponse      # PHR.ID_NOT_EXIST, PHR.OFFLINE, ...


def rmsg(kind, **fields):
    """Serialized RendezvousMessage with the oneof `kind` set, e.g.
    rmsg('register_peer', id='123456', serial=0).  Sub-message fields may be
    given as dicts; an empty kind (no fields) still sets the oneof."""
    m = RendezvousMessage()
    sub = getattr(m, kind)
    sub.SetInParent()
    for k, v in fields.items():
        if isinstance(v, dict):
            getattr(sub, k).SetInParent()
            for k2, v2 in v.items():
                setattr(getattr(sub, k), k2, v2)
        elif isinstance(v, (list, tuple)):
            getattr(sub, k).extend(v)
        else:
            setattr(sub, k, v)
    return m.SerializeToString()


def wrap(kind, sub):
    """Serialized RendezvousMessage carrying the message object `sub`."""
    m = RendezvousMessage()
    getattr(m, kind).CopyFrom(sub)
    return m.SerializeToString()


def parse_rmsg(data):
    """(kind, sub_message) of a serialized RendezvousMessage; kind is None
    for an envelope without a oneof (e.g. an empty payload).  Raises
    ProtoError on bytes that do not parse."""
    m = RendezvousMessage()
    data = bytes(data)
    try:
        used = m.ParseFromString(data)
    except Exception as e:  # google.protobuf.message.DecodeError and friends
        raise ProtoError(f"not a RendezvousMessage: {e}") from None
    if used is not None and used != len(data):  # upb stops at a stray end-group tag
        raise ProtoError(f"not a RendezvousMessage: parsed {used} of {len(data)} bytes")
    kind = m.WhichOneof("union")
    return kind, (getattr(m, kind) if kind else None)


# ---------------------------------------------------------------- framing
def encode_header(n):
    """Shortest BytesCodec header for a payload of n bytes (§1.2)."""
    if n < 0 or n > MAX_FRAME:
        raise ProtoError(f"frame length {n} out of range")
    if n <= 0x3F:
        return bytes([n << 2])
    if n <= 0x3FFF:
        return ((n << 2) | 1).to_bytes(2, "little")
    if n <= 0x3FFFFF:
        return ((n << 2) | 2).to_bytes(3, "little")
    return ((n << 2) | 3).to_bytes(4, "little")


def encode_frame(payload, header_len=None):
    """Header + payload.  header_len (1..4) forces a (possibly non-shortest)
    header size, for decoder tests."""
    payload = bytes(payload)
    n = len(payload)
    if header_len is None:
        return encode_header(n) + payload
    if header_len not in (1, 2, 3, 4) or n >= 1 << (8 * header_len - 2):
        raise ProtoError(f"{n} bytes do not fit a {header_len}-byte header")
    return ((n << 2) | (header_len - 1)).to_bytes(header_len, "little") + payload


def parse_header(buf):
    """(header_len, payload_len) or None if buf holds too few bytes."""
    if not buf:
        return None
    hl = (buf[0] & 3) + 1
    if len(buf) < hl:
        return None
    return hl, int.from_bytes(bytes(buf[:hl]), "little") >> 2


class FrameDecoder:
    """Incremental BytesCodec decoder; accepts all four header sizes,
    shortest or not.  feed() returns the complete payloads."""

    def __init__(self, max_len=DEFAULT_MAX_FRAME):
        self.buf = bytearray()
        self.max_len = max_len

    def feed(self, data=b""):
        # Payloads are cut from the buffer at an offset and the consumed
        # prefix is dropped once per call: deleting it per frame moved the
        # rest of the buffer each time, which set a bulk download's pace.
        self.buf += data
        out = []
        pos = 0
        with memoryview(self.buf) as mv:
            while True:
                h = parse_header(mv[pos:pos + 4])
                if h is None:
                    break
                hl, n = h
                if n > self.max_len:
                    raise ProtoError(f"frame of {n} bytes exceeds limit {self.max_len}")
                if len(mv) - pos < hl + n:
                    break
                out.append(bytes(mv[pos + hl:pos + hl + n]))
                pos += hl + n
        if pos:
            del self.buf[:pos]
        return out

    def take_rest(self):
        rest = bytes(self.buf)
        self.buf.clear()
        return rest


# ------------------------------------------------------------- AddrMangle
def _to_v4(ip):
    """IPv4 string for IPv4-mapped/-compatible IPv6 (not ::1, not ::),
    like hbb_common try_into_v4; otherwise the address unchanged."""
    a = ipaddress.ip_address(ip.split("%")[0] if isinstance(ip, str) else ip)
    if a.version == 6:
        if a.ipv4_mapped:
            return str(a.ipv4_mapped)
        p = a.packed
        if p[:12] == bytes(12) and not a.is_loopback and not a.is_unspecified:
            return str(ipaddress.IPv4Address(p[12:]))
    return str(a)


def addr_encode(ip, port, tm=None):
    """AddrMangle.encode (§1.5).  tm (u32 microsecond clock) defaults to
    now; pass it for reproducible vectors."""
    ip = _to_v4(ip)
    a = ipaddress.ip_address(ip)
    if a.version == 6:
        return a.packed + int(port).to_bytes(2, "little")
    if tm is None:
        tm = time.time_ns() // 1000
    tm &= 0xFFFFFFFF
    ipn = int.from_bytes(a.packed, "little")
    v = ((ipn + tm) << 49) | (tm << 17) | (int(port) + (tm & 0xFFFF))
    return v.to_bytes(16, "little").rstrip(b"\0")


def addr_decode(data):
    """AddrMangle.decode: (ip_string, port).  b'' -> ('0.0.0.0', 0); an
    18-byte value is IPv6; other lengths > 16 -> ('::', 0)."""
    data = bytes(data)
    if len(data) > 16:
        if len(data) != 18:
            return ("::", 0)
        return (str(ipaddress.IPv6Address(data[:16])),
                int.from_bytes(data[16:], "little"))
    v = int.from_bytes(data.ljust(16, b"\0"), "little")
    tm = (v >> 17) & 0xFFFFFFFF
    ip = ((v >> 49) - tm) & 0xFFFFFFFF
    port = ((v & 0xFFFFFF) - (tm & 0xFFFF)) & 0xFFFF
    return (str(ipaddress.IPv4Address(ip.to_bytes(4, "little"))), port)


def norm_addr(addr):
    """(ip, port) of a socket address tuple with v4-mapped IPv6 folded."""
    return (_to_v4(addr[0]), int(addr[1]))


def split_host_port(s, default_port):
    """'host', 'host:port', '[v6]:port', 'v6' -> (host, port)."""
    s = s.strip()
    if s.startswith("["):
        host, _, rest = s[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    if s.count(":") == 1:
        host, port = s.split(":")
        return host, int(port)
    return s, default_port


# ------------------------------------------------------------------ keys
def b64(data):
    return base64.b64encode(bytes(data)).decode()


def signing_key_from(sk):
    """nacl SigningKey from a 32-byte seed, a 64-byte libsodium secret key
    (seed || pk), or the base64 of either."""
    if isinstance(sk, nacl.signing.SigningKey):
        return sk
    if isinstance(sk, str):
        sk = base64.b64decode(sk)
    sk = bytes(sk)
    if len(sk) == 64:
        key = nacl.signing.SigningKey(sk[:32])
        if bytes(key.verify_key) != sk[32:]:
            raise ValueError("64-byte secret key: public half does not match")
        return key
    if len(sk) == 32:
        return nacl.signing.SigningKey(sk)
    raise ValueError("secret key must be 32 or 64 bytes")


def libsodium_sk(key):
    """64-byte libsodium form (seed || pk) of a SigningKey."""
    return bytes(key) + bytes(key.verify_key)


def sign_id_pk(signing_key, id_, pk):
    """Combined-mode signature (64-byte sig || IdPk bytes) as hbbs sends in
    PunchHoleResponse.pk / RelayResponse.pk (§5.2)."""
    m = mpb.IdPk(id=id_, pk=bytes(pk))
    return bytes(signing_key.sign(m.SerializeToString()))


def open_id_pk(signed, verify_key):
    """Verifies a combined IdPk signature; returns (id, pk).  verify_key is a
    VerifyKey, 32 raw bytes or the base64 licence key.  Raises ProtoError."""
    if isinstance(verify_key, str):
        verify_key = base64.b64decode(verify_key)
    if not isinstance(verify_key, nacl.signing.VerifyKey):
        if len(verify_key) != 32:
            raise ProtoError("rendezvous key is not 32 bytes")
        verify_key = nacl.signing.VerifyKey(bytes(verify_key))
    try:
        body = verify_key.verify(bytes(signed))
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError) as e:
        raise ProtoError(f"IdPk signature does not verify: {e}") from None
    m = mpb.IdPk()
    try:
        m.ParseFromString(body)
    except Exception as e:
        raise ProtoError(f"IdPk does not parse: {e}") from None
    return m.id, bytes(m.pk)


# ----------------------------------------------------- frame encryption
class SecretBoxCodec:
    """§5.4: XSalsa20-Poly1305 with nonce = u64 LE counter || 16 zero bytes,
    separate send/recv counters starting at 1, same key both ways; received
    payloads of length 0 or 1 pass through without decryption."""

    def __init__(self, key):
        self.box = nacl.secret.SecretBox(bytes(key))
        self.send_seq = 0
        self.recv_seq = 0

    @staticmethod
    def nonce(seq):
        return seq.to_bytes(8, "little") + bytes(16)

    def seal(self, payload):
        self.send_seq += 1
        return self.box.encrypt(bytes(payload), self.nonce(self.send_seq)).ciphertext

    def open(self, payload):
        if len(payload) <= 1:
            return bytes(payload)
        self.recv_seq += 1
        try:
            return self.box.decrypt(bytes(payload), self.nonce(self.recv_seq))
        except nacl.exceptions.CryptoError as e:
            raise ProtoError(f"frame decryption failed: {e}") from None


def kx_client_reply(signed_server_pk, verify_key):
    """Host/client half of the TCP-mode KeyExchange (§3.7 step 2).  Returns
    (reply_payload, SecretBoxCodec)."""
    if isinstance(verify_key, str):
        verify_key = nacl.signing.VerifyKey(base64.b64decode(verify_key))
    try:
        server_box_pk = verify_key.verify(bytes(signed_server_pk))
    except nacl.exceptions.BadSignatureError:
        raise ProtoError("KeyExchange signature does not verify") from None
    if len(server_box_pk) != 32:
        raise ProtoError("KeyExchange key is not 32 bytes")
    eph = nacl.public.PrivateKey.generate()
    key = nacl.secret.random(32)
    sealed = nacl.public.Box(eph, nacl.public.PublicKey(server_box_pk)).encrypt(
        key, bytes(24)).ciphertext
    return (rmsg("key_exchange", keys=[bytes(eph.public_key), sealed]),
            SecretBoxCodec(key))


# ------------------------------------------------------ blocking sockets
def reuse_socket(family=socket.AF_INET, kind=socket.SOCK_STREAM):
    s = socket.socket(family, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, "SO_REUSEPORT"):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if kind == socket.SOCK_STREAM:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class FramedSocket:
    """Blocking BytesCodec stream over a connected TCP socket, with an
    optional SecretBoxCodec.  detach() hands back the socket plus any bytes
    read past the last frame (for switching to a raw pipe)."""

    def __init__(self, sock, max_len=DEFAULT_MAX_FRAME):
        self.sock = sock
        self.dec = FrameDecoder(max_len)
        self.pending = []
        self.codec = None
        self.closed = False

    @classmethod
    def connect(cls, addr, timeout=5.0, bind=None, **kw):
        s = reuse_socket(socket.AF_INET6 if ":" in addr[0] else socket.AF_INET)
        try:
            if bind is not None:
                s.bind(bind)
            s.settimeout(timeout)
            s.connect(addr)
        except BaseException:
            s.close()
            raise
        return cls(s, **kw)

    def send(self, payload):
        if self.codec is not None:
            payload = self.codec.seal(payload)
        self.sock.sendall(encode_frame(payload))

    def send_msg(self, kind, **fields):
        self.send(rmsg(kind, **fields))

    def recv(self, timeout=5.0):
        """Next payload (decrypted if a codec is set); None on EOF.  Raises
        TimeoutError when nothing complete arrives in time."""
        deadline = time.monotonic() + timeout
        while not self.pending:
            if self.closed:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame within %.1fs" % timeout)
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            try:
                data = self.sock.recv(65536)
            except (ConnectionError, OSError):
                data = b""
            if not data:
                self.closed = True
                continue
            self.pending.extend(self.dec.feed(data))
        p = self.pending.pop(0)
        return self.codec.open(p) if self.codec is not None else p

    def recv_msg(self, timeout=5.0, skip_key_exchange=True):
        """(kind, sub) of the next RendezvousMessage; (None, None) on EOF.
        KeyExchange frames are skipped like get_next_nonkeyexchange_msg."""
        while True:
            p = self.recv(timeout)
            if p is None:
                return None, None
            kind, sub = parse_rmsg(p)
            if kind == "key_exchange" and skip_key_exchange:
                continue
            return kind, sub

    def detach(self):
        """(socket, leftover_bytes); the FramedSocket is unusable after."""
        rest = b"".join(encode_frame(p) for p in self.pending) + self.dec.take_rest()
        s, self.sock = self.sock, None
        return s, rest

    def close(self):
        close_quietly(self.sock)


def close_quietly(sock):
    """Closes sock (None is fine); a peer that already reset it is no
    error here."""
    if sock is None:
        return
    try:
        sock.close()
    except OSError:
        pass


def recv_exact(sock, n, timeout=5.0, initial=b""):
    """Reads exactly n bytes (after `initial`) or raises TimeoutError/EOFError."""
    buf = bytearray(initial)
    deadline = time.monotonic() + timeout
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"got {len(buf)} of {n} bytes")
        r, _, _ = select.select([sock], [], [], left)
        if r:
            d = sock.recv(n - len(buf))
            if not d:
                raise EOFError(f"EOF after {len(buf)} of {n} bytes")
            buf += d
    return bytes(buf)


# --------------------------------------------------------------- asyncio
async def read_frame_async(reader, max_len=DEFAULT_MAX_FRAME):
    """One BytesCodec payload from an asyncio StreamReader; None on clean
    EOF at a frame boundary.  Raises ProtoError (oversize) or
    asyncio.IncompleteReadError (EOF mid-frame)."""
    try:
        b0 = await reader.readexactly(1)
    except asyncio.IncompleteReadError:
        return None
    hl = (b0[0] & 3) + 1
    head = b0 + (await reader.readexactly(hl - 1) if hl > 1 else b"")
    n = int.from_bytes(head, "little") >> 2
    if n > max_len:
        raise ProtoError(f"frame of {n} bytes exceeds limit {max_len}")
    return await reader.readexactly(n) if n else b""


def write_frame_async(writer, payload):
    """Queues one frame on an asyncio StreamWriter (caller may drain())."""
    writer.write(encode_frame(payload))



# ------------------------------------------------ event log / loop thread
class Event:
    """One thing a peer saw or did.  t = time.monotonic(); direction 'in' |
    'out' | 'info'; transport 'udp' | 'tcp' | 'nat' | 'relay'; kind = the
    RendezvousMessage oneof name or a pseudo kind ('garbage', 'heartbeat',
    'connect', 'close', 'pair', ...); addr = (ip, port) of the other side;
    msg = protobuf sub-message (a private copy) or None; raw = payload."""
    __slots__ = ("t", "direction", "transport", "kind", "addr", "msg", "raw", "note")

    def __init__(self, direction, transport, kind, addr, msg=None, raw=b"", note=""):
        self.t = time.monotonic()
        self.direction, self.transport, self.kind = direction, transport, kind
        self.addr, self.msg, self.raw, self.note = addr, msg, bytes(raw), note

    def to_json(self):
        from google.protobuf import json_format
        d = {"t": round(self.t, 6), "dir": self.direction, "transport": self.transport,
             "kind": self.kind, "addr": list(self.addr) if self.addr else None}
        if self.msg is not None:
            d["msg"] = json_format.MessageToDict(self.msg, preserving_proto_field_name=True)
            for f in ("socket_addr", "local_addr"):
                v = getattr(self.msg, f, None) if f in self.msg.DESCRIPTOR.fields_by_name else None
                if v:
                    d["msg"][f + "_decoded"] = list(addr_decode(v))
        if self.note:
            d["note"] = self.note
        return d

    def __repr__(self):
        return (f"Event({self.direction} {self.transport} {self.kind} {self.addr}"
                f"{' ' + self.note if self.note else ''})")


class EventLog:
    """Thread-safe append-only list of Event with blocking waits."""

    def __init__(self, sink=None):
        self._ev = []
        self._cond = threading.Condition()
        self.sink = sink        # optional callable(Event), e.g. JSON printer

    def add(self, ev):
        with self._cond:
            self._ev.append(ev)
            self._cond.notify_all()
        if self.sink is not None:
            try:
                self.sink(ev)
            except Exception:
                pass
        return ev

    @staticmethod
    def _match(ev, kind, direction, transport, since, pred):
        return ((kind is None or ev.kind == kind)
                and (direction is None or ev.direction == direction)
                and (transport is None or ev.transport == transport)
                and (since is None or ev.t >= since)
                and (pred is None or pred(ev)))

    def query(self, kind=None, direction="in", transport=None, since=None, pred=None):
        with self._cond:
            return [e for e in self._ev
                    if self._match(e, kind, direction, transport, since, pred)]

    def wait(self, kind=None, timeout=5.0, direction="in", transport=None,
             since=None, pred=None, count=1):
        """Blocks until `count` matching events exist; returns the last one
        of them.  Raises TimeoutError."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                hits = [e for e in self._ev
                        if self._match(e, kind, direction, transport, since, pred)]
                if len(hits) >= count:
                    return hits[count - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {count}x {direction} {kind} event within {timeout}s")
                self._cond.wait(left)

    def clear(self):
        with self._cond:
            self._ev.clear()

    def __len__(self):
        with self._cond:
            return len(self._ev)


class LoopThread:
    """An asyncio event loop running in a daemon thread; call() runs a
    function or coroutine on it from any thread and returns its result."""

    def __init__(self, name):
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()
        self._ready.wait()

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        self.loop.run_forever()
        # drain cancelled tasks, then close
        pending = asyncio.all_tasks(self.loop)
        for t in pending:
            t.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()

    def in_loop(self):
        return threading.current_thread() is self.thread

    def call(self, fn, *args, timeout=10.0):
        if self.in_loop():
            r = fn(*args)
            return r
        if asyncio.iscoroutinefunction(fn):
            return asyncio.run_coroutine_threadsafe(fn(*args), self.loop).result(timeout)
        fut = concurrent.futures.Future()

        def run():
            try:
                fut.set_result(fn(*args))
            except BaseException as e:  # pass through to the caller
                fut.set_exception(e)
        self.loop.call_soon_threadsafe(run)
        return fut.result(timeout)

    def stop(self):
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
