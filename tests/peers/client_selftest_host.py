# SPDX-License-Identifier: MIT
"""The scripted fake host of client_selftest.py: HostConn (framing and its
own PyNaCl secretbox counters, so a client nonce mistake shows up as a
decryption failure here), ScriptedHost (plays the host side of §5/§6 and
§13.1/13.2 on every connection and records Ev events; after a terminal
login it plays a scripted terminal service, _terminal), the
host_and_client/cid_of helpers, and _RdvHost (a selftest.FakeHost
registered with rendezvous.py whose sessions a ScriptedHost serves)."""
import collections
import hashlib
import random
import select
import socket
import sys
import threading
import time
import traceback

import nacl.exceptions
import nacl.public
import nacl.secret
import nacl.signing

try:
    from . import rdproto as rp
    from .client import Client
except ImportError:
    import rdproto as rp
    from client import Client


mpb = rp.mpb
VERBOSE = "-v" in sys.argv
ALPHABET = "23456789abcdefghijkmnpqrstuvwxyz"
PASSWORD = "Secret-1"
HOST_ID = "123456789"
Perm = mpb.PermissionInfo.Permission

Ev = collections.namedtuple("Ev", "t cid kind data")


def nonce(seq):
    return seq.to_bytes(8, "little") + bytes(16)


def rand_str(n):
    return "".join(random.SystemRandom().choice(ALPHABET) for _ in range(n))


class Closed(Exception):
    pass


class Oversize(Exception):
    def __init__(self, n):
        super().__init__(n)
        self.n = n


class HostConn:
    """Host side of one connection: framing + its own secretbox counters."""

    def __init__(self, sock, max_len):
        self.sock = sock
        self.dec = rp.FrameDecoder(max_len)
        self.pending = collections.deque()
        self.key = None
        self.send_seq = 0
        self.recv_seq = 0
        self.raw_in = []            # every received payload as it was on the wire

    def send(self, msg_or_payload, encrypt=True):
        p = msg_or_payload if isinstance(msg_or_payload, bytes) else \
            msg_or_payload.SerializeToString()
        if self.key is not None and encrypt:
            self.send_seq += 1
            p = nacl.secret.SecretBox(self.key).encrypt(p, nonce(self.send_seq)).ciphertext
        self.sock.sendall(rp.encode_frame(p))

    def recv(self, deadline):
        """Next raw payload; absolute deadline; raises TimeoutError, Closed,
        Oversize."""
        while not self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            try:
                d = self.sock.recv(262144)
            except OSError:
                d = b""
            if not d:
                raise Closed
            try:
                self.pending.extend(self.dec.feed(d))
            except rp.ProtoError:
                raise Oversize(rp.parse_header(self.dec.buf)[1]) from None
        p = self.pending.popleft()
        self.raw_in.append(p)
        return p

    def open(self, p):
        """Decrypts per §5.4 (≤ 1 byte: passthrough, no counter step)."""
        if self.key is None or len(p) <= 1:
            return p
        self.recv_seq += 1
        return nacl.secret.SecretBox(self.key).decrypt(p, nonce(self.recv_seq))

    def classify(self, p):
        """What an undecryptable frame is: replay / wrong_nonce / undecryptable."""
        if p in self.raw_in[:-1]:
            return "replay", self.raw_in.index(p)
        box = nacl.secret.SecretBox(self.key)
        for seq in range(1, self.recv_seq + 32):
            try:
                box.decrypt(p, nonce(seq))
                return "wrong_nonce", seq - self.recv_seq     # 0 impossible here
            except nacl.exceptions.CryptoError:
                pass
        return "undecryptable", len(p)


class ScriptedHost:
    """Plays the host side of §5/§6 on every accepted connection (or on a
    socket handed to serve()).  Records Ev(t, cid, kind, data) events."""

    def __init__(self, id_=HOST_ID, password=PASSWORD, secure=True, sk=None,
                 require_encryption=False, disabled=(Perm.Keyboard,), handshake_timeout=3.0,
                 idle_timeout=5.0, max_preauth=8192, direct=False, send_tiny=False,
                 listen=True, on_message=None):
        self.id, self.password, self.secure = id_, password, secure
        self.sk = sk or nacl.signing.SigningKey.generate()
        self.pk = bytes(self.sk.verify_key)
        self.salt = rand_str(32)
        self.require_encryption = require_encryption
        self.disabled = disabled
        self.handshake_timeout, self.idle_timeout = handshake_timeout, idle_timeout
        self.max_preauth, self.direct, self.send_tiny = max_preauth, direct, send_tiny
        # on_message(host, hc, cid, Message) -> True when it handled a
        # message after login (client_files_selftest's file host).
        self.on_message = on_message
        self.events = []
        self.cond = threading.Condition()
        self.ncid = 0
        self.stopped = False
        self.lst = None
        if listen:
            self.lst = rp.reuse_socket()
            self.lst.bind(("127.0.0.1", 0))
            self.lst.listen(64)
            self.addr = self.lst.getsockname()
            threading.Thread(target=self._accept, daemon=True).start()

    # ---- events
    def ev(self, cid, what, /, **data):
        with self.cond:
            self.events.append(Ev(time.monotonic(), cid, what, data))
            self.cond.notify_all()
        if VERBOSE:
            print(f"    host[{cid}] {what} {data if what != 'login_request' else ''}")

    def wait(self, kind, timeout=5.0, cid=None, count=1, pred=None):
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                hits = [e for e in self.events
                        if e.kind == kind and (cid is None or e.cid == cid)
                        and (pred is None or pred(e))]
                if len(hits) >= count:
                    return hits[count - 1]
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"host: no {kind} (cid {cid}); saw "
                                       f"{[(e.cid, e.kind) for e in self.events]}")
                self.cond.wait(left)

    def kinds(self, cid=None):
        with self.cond:
            return [e.kind for e in self.events if cid is None or e.cid == cid]

    def close(self):
        self.stopped = True
        if self.lst is not None:
            self.lst.close()

    def _accept(self):
        while not self.stopped:
            try:
                c, _ = self.lst.accept()
            except OSError:
                return
            with self.cond:
                self.ncid += 1
                cid = self.ncid
            threading.Thread(target=self.serve, args=(c, "listener", cid), daemon=True).start()

    # ---- the script
    def serve(self, sock, how="handed", cid=None):
        if cid is None:
            with self.cond:
                self.ncid += 1
                cid = self.ncid
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        hc = HostConn(sock, self.max_preauth)
        try:
            peer = sock.getpeername()[:2]
        except OSError:
            peer = None
        self.ev(cid, "connect", how=how, peer=peer)
        try:
            self._script(hc, cid)
        except Closed:
            self.ev(cid, "peer_closed")
        except Oversize as e:
            self.ev(cid, "oversize", n=e.n)
        except TimeoutError:
            self.ev(cid, "idle_timeout")
        except Exception as e:          # a bug in the fake host itself
            self.ev(cid, "host_error", error=repr(e))
            if VERBOSE:
                traceback.print_exc()
        finally:
            self._close(sock)
            self.ev(cid, "closed")

    @staticmethod
    def _close(sock):
        try:
            sock.shutdown(socket.SHUT_WR)
            end = time.monotonic() + 0.3
            while time.monotonic() < end:
                r, _, _ = select.select([sock], [], [], end - time.monotonic())
                if r and not sock.recv(65536):
                    break
        except OSError:
            pass
        sock.close()

    def _refuse(self, hc, cid, text):
        mb = mpb.Message()
        mb.message_box.msgtype, mb.message_box.title = "error", "Connection Error"
        mb.message_box.text = text
        hc.send(mb)
        m = mpb.Message()
        m.misc.close_reason = text
        hc.send(m)
        self.ev(cid, "refused", text=text)

    def _script(self, hc, cid):
        if self.secure:
            hsk = nacl.public.PrivateKey.generate()
            m = mpb.Message()
            m.signed_id.id = rp.sign_id_pk(self.sk, self.id, bytes(hsk.public_key))
            hc.send(m)
            try:
                p = hc.recv(time.monotonic() + self.handshake_timeout)
            except TimeoutError:
                self.ev(cid, "handshake_timeout", partial=len(hc.dec.buf))
                return
            m = mpb.Message()
            try:
                m.ParseFromString(p)
            except Exception:
                self.ev(cid, "garbage_before_kx", payload=p)
                return
            kind = m.WhichOneof("union")
            if kind == "public_key":
                a, s = m.public_key.asymmetric_value, m.public_key.symmetric_value
                if len(a) == 0:
                    self.ev(cid, "empty_public_key", symmetric=len(s))
                    if self.require_encryption:
                        return self._refuse(hc, cid, "encryption required by host policy")
                elif len(a) != 32:
                    self.ev(cid, "bad_key_length", n=len(a))
                    return
                else:
                    try:
                        k = nacl.public.Box(hsk, nacl.public.PublicKey(bytes(a))).decrypt(
                            bytes(s), bytes(24))
                    except nacl.exceptions.CryptoError:
                        self.ev(cid, "box_failed")
                        return
                    if len(k) != 32:
                        self.ev(cid, "bad_session_key", n=len(k))
                        return
                    hc.key = k
                    self.ev(cid, "encrypted", sealed_len=len(s))
            else:
                self.ev(cid, "empty_message" if p == b"" else "other_message",
                        kind=kind, n=len(p))
                if self.require_encryption:
                    return self._refuse(hc, cid, "encryption required by host policy")
        else:
            self.ev(cid, "plaintext_session")
        challenge = rand_str(6)
        m = mpb.Message()
        m.hash.salt, m.hash.challenge = self.salt, challenge
        hc.send(m)
        if self.send_tiny and hc.key is not None:
            hc.sock.sendall(rp.encode_frame(b"") + rp.encode_frame(b"\x07"))
        for perm in self.disabled:
            m = mpb.Message()
            m.misc.permission_info.permission = perm
            m.misc.permission_info.enabled = False
            hc.send(m)
        td = mpb.Message()
        td.test_delay.time, td.test_delay.last_delay = 4242, 7
        td.test_delay.target_bitrate = 1000
        hc.send(td)
        self._session(hc, cid, challenge, td.test_delay)

    def _session(self, hc, cid, challenge, sent_td):
        authorized = False
        scope = None
        terms = {}                      # terminal_id -> [rows, cols]
        while True:
            p = hc.recv(time.monotonic() + self.idle_timeout)
            try:
                p = hc.open(p)
            except nacl.exceptions.CryptoError:
                what, detail = hc.classify(hc.raw_in[-1])
                self.ev(cid, what, detail=detail, recv_seq=hc.recv_seq)
                return
            m = mpb.Message()
            try:
                m.ParseFromString(p)
            except Exception:
                self.ev(cid, "garbage", payload=p)
                return
            kind = m.WhichOneof("union")
            if kind is None:
                self.ev(cid, "tiny_or_empty", n=len(p))
            elif kind == "test_delay":
                t = m.test_delay
                if not t.from_client:
                    self.ev(cid, "test_delay_echo", same=(t == sent_td))
                else:
                    self.ev(cid, "test_delay_from_client", time=t.time)
                    hc.send(m)
            elif kind == "login_request":
                lr = m.login_request
                self.ev(cid, "login_request", lr=lr, seq=hc.recv_seq)
                if authorized:
                    continue
                u = lr.WhichOneof("union")
                digest = (lr.my_id, u, getattr(lr, u).SerializeToString() if u else b"")
                if scope is None:
                    scope = digest
                elif digest != scope:
                    self._login_error(hc, cid, "Connection not allowed")
                    return
                ok_user = lr.username == self.id or (
                    self.direct and lr.username.split(":")[0].count(".") == 3)
                if not ok_user:
                    self._login_error(hc, cid, "Offline")
                    return
                if not lr.password:
                    self.ev(cid, "empty_password")
                    continue
                h1 = hashlib.sha256(self.password.encode() + self.salt.encode()).digest()
                want = hashlib.sha256(h1 + challenge.encode()).digest()
                if lr.password != want:
                    self._login_error(hc, cid, "Wrong Password")
                    continue
                authorized = True
                hc.dec.max_len = rp.DEFAULT_MAX_FRAME
                out = mpb.Message()
                pi = out.login_response.peer_info
                pi.username, pi.hostname, pi.platform = "tester", "fakehost", "Linux"
                pi.version = "1.3.0"
                if u not in ("file_transfer", "port_forward", "terminal"):
                    d = pi.displays.add()
                    d.x, d.y, d.width, d.height, d.name, d.online = -1920, 0, 1920, 1080, "0", True
                pi.features.SetInParent()
                pi.encoding.SetInParent()
                hc.send(out)
                self.ev(cid, "login_ok", kind=u)
            elif kind == "terminal_action" and authorized:
                self._terminal(hc, cid, m.terminal_action, terms)
            elif kind in ("mouse_event", "key_event"):
                self.ev(cid, "input" if authorized else "input_before_login", kind=kind)
            elif kind == "misc" and m.misc.WhichOneof("union") == "close_reason":
                self.ev(cid, "client_close_reason", text=m.misc.close_reason)
                return
            elif authorized and self.on_message and self.on_message(self, hc, cid, m):
                pass
            else:
                self.ev(cid, "message", kind=kind)

    def _terminal(self, hc, cid, ta, terms):
        """A scripted terminal service, as upstream answers (terminal_service.rs):
        open -> opened (size 0 or > 4096 refused); data -> echoed as
        'echo:<data>' ('exit N' closes with N, 'big' answers 4000 bytes
        zstd-compressed, 'euro' a euro sign); resize -> 'size R C'; close ->
        closed(-1, forced); data for an unknown id -> TerminalError."""
        import zstandard
        kind = ta.WhichOneof("union")
        sub = getattr(ta, kind)
        tid = sub.terminal_id
        self.ev(cid, "terminal_" + kind, id=tid)
        out = mpb.Message()
        tr = out.terminal_response
        if kind == "open":
            ok = 0 < sub.rows <= 4096 and 0 < sub.cols <= 4096
            tr.opened.terminal_id = tid
            tr.opened.success = ok
            tr.opened.message = "Terminal opened" if ok else "size out of range"
            if ok:
                terms[tid] = [sub.rows, sub.cols]
                tr.opened.pid = 4242 + tid
                tr.opened.service_id = "ts_selftest"
        elif tid not in terms:
            if kind == "close":
                return
            tr.error.terminal_id = tid
            tr.error.message = f"terminal {tid} is not open"
        elif kind == "data":
            data = bytes(sub.data)
            if sub.compressed:
                data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
            text = data.decode()
            tr.data.terminal_id = tid
            if text.startswith("exit "):
                del terms[tid]
                tr.ClearField("data")
                tr.closed.terminal_id = tid
                tr.closed.exit_code = int(text.split()[1])
            elif text.strip() == "big":
                tr.data.data = zstandard.ZstdCompressor(level=3).compress(b"z" * 4000)
                tr.data.compressed = True
            elif text.strip() == "euro":
                tr.data.data = "price: 5\u20ac\r\n".encode()
            else:
                tr.data.data = b"echo:" + data
        elif kind == "resize":
            terms[tid] = [sub.rows, sub.cols]
            tr.data.terminal_id = tid
            tr.data.data = f"size {sub.rows} {sub.cols}\r\n".encode()
        elif kind == "close":
            del terms[tid]
            tr.closed.terminal_id = tid
            tr.closed.exit_code = -1
        hc.send(out)

    def _login_error(self, hc, cid, text):
        m = mpb.Message()
        m.login_response.error = text
        hc.send(m)
        self.ev(cid, "login_error", text=text)


# ------------------------------------------------------------- helpers
def host_and_client(**hkw):
    ckw = hkw.pop("ckw", {})
    h = ScriptedHost(**hkw)
    c = Client(h.addr, host_pk=h.pk, target_id=h.id, direct=not h.secure, **ckw)
    return h, c


def cid_of(h, c, timeout=5.0):
    """The host's connection number for Client c (matched by address)."""
    me = c.sock.getsockname()[:2]
    return h.wait("connect", timeout, pred=lambda e: e.data["peer"] == me).cid


class _RdvHost:
    """selftest.FakeHost (registered with rendezvous.py) whose session socket
    is served by a ScriptedHost using the registered key."""

    @staticmethod
    def make(rs):
        import selftest

        class Host(selftest.FakeHost):
            def _session(self, c, how, greeted=False):
                self.sessions.append((how, c))
                self.scripted.serve(c, how)

            def _relay(self, socket_addr, relay, uuid, initiate):
                r = socket.create_connection(rp.split_host_port(relay, 21117), timeout=5)
                r.sendall(rp.encode_frame(rp.rmsg("request_relay", uuid=uuid,
                                                  licence_key=self.key)))
                s = socket.create_connection(self.rs_addr, timeout=5)
                if initiate:
                    rr = rp.rmsg("relay_response", socket_addr=socket_addr, uuid=uuid,
                                 relay_server=relay, id=self.id, version=self.version)
                else:
                    rr = rp.rmsg("relay_response", socket_addr=socket_addr,
                                 version=self.version)
                s.sendall(rp.encode_frame(rr))
                s.close()
                r.settimeout(None)
                self._session(r, "relay")

        h = Host(rs)
        assert h.register_peer() is True
        assert h.register_pk() == rp.pb.RegisterPkResponse.OK
        h.scripted = ScriptedHost(id_=h.id, sk=h.sk, listen=False)
        return h
