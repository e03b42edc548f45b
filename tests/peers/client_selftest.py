# SPDX-License-Identifier: MIT
"""Self-test of client.py against a scripted fake host written here from the
protocol reference (§5 secure channel, §6 login, §13.1/13.2), without the C
agent.  The fake host does its own crypto with PyNaCl (not rdproto's codec),
so a nonce/counter mistake in the client shows up as a decryption failure on
the host.  It also classifies what each misbehaving mode puts on the wire.
Last line: 'N passed, M failed'.

    /usr/bin/python3 tests/peers/client_selftest.py [-v] [name-substring ...]
"""
import collections
import hashlib
import json
import os
import random
import select
import socket
import subprocess
import sys
import threading
import time
import traceback

import nacl.exceptions
import nacl.public
import nacl.secret
import nacl.signing

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rdproto as rp                                    # noqa: E402
import initiator                                        # noqa: E402
import client                                           # noqa: E402
from client import Client                               # noqa: E402

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
                 listen=True):
        self.id, self.password, self.secure = id_, password, secure
        self.sk = sk or nacl.signing.SigningKey.generate()
        self.pk = bytes(self.sk.verify_key)
        self.salt = rand_str(32)
        self.require_encryption = require_encryption
        self.disabled = disabled
        self.handshake_timeout, self.idle_timeout = handshake_timeout, idle_timeout
        self.max_preauth, self.direct, self.send_tiny = max_preauth, direct, send_tiny
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
            elif kind in ("mouse_event", "key_event"):
                self.ev(cid, "input" if authorized else "input_before_login", kind=kind)
            elif kind == "misc" and m.misc.WhichOneof("union") == "close_reason":
                self.ev(cid, "client_close_reason", text=m.misc.close_reason)
                return
            else:
                self.ev(cid, "message", kind=kind)

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


# --------------------------------------------------------------- tests
def t_success_encrypted():
    h, c = host_and_client()
    try:
        assert c.handshake() == "encrypted" and c.encrypted
        assert c.host_id == HOST_ID and len(c.host_box_pk) == 32
        pi = c.login(PASSWORD)
        assert not isinstance(pi, str) and pi is not None, pi
        assert pi.platform == "Linux" and pi.displays[0].x == -1920
        assert c.peer_info is pi or c.peer_info == pi
        assert c.permissions == {"Keyboard": False}, c.permissions
        assert c.test_delays >= 1 and c.test_delays_echoed >= 1
        h.wait("test_delay_echo")
        assert all(e.data["same"] for e in h.events if e.kind == "test_delay_echo")
        lr = h.wait("login_request").data["lr"]
        assert lr.username == HOST_ID and len(lr.password) == 32
        assert lr.version == "1.4.9" and lr.my_platform == "Linux"
        assert lr.my_id == "100200300" and lr.my_name and lr.session_id != 0
        assert lr.HasField("os_login") and lr.WhichOneof("union") is None
        assert lr.option.supported_decoding.ability_vp9 == 1
        h.wait("login_ok")
        # wire layout: PublicKey in clear, then every frame sealed with 1, 2, ...
        assert c.sent[0].kind == "public_key" and not c.sent[0].encrypted
        seqs = [s.seq for s in c.sent if s.encrypted]
        assert seqs == list(range(1, len(seqs) + 1)), seqs
        for s in c.sent[1:]:
            hl, n = rp.parse_header(s.wire)
            assert n == len(s.msg.SerializeToString()) + 16
        kinds = [r.kind for r in c.received]
        assert kinds[:2] == ["signed_id", "hash"], kinds
        assert "misc.permission_info" in kinds and "login_response" in kinds
        json.dumps(c.summary(), default=str)
    finally:
        c.close(), h.close()


def t_wrong_then_right_same_connection():
    h, c = host_and_client()
    try:
        c.handshake()
        assert c.login("nope") == "Wrong Password"
        assert c.login_error == "Wrong Password"
        pi = c.login(PASSWORD)
        assert hasattr(pi, "displays"), pi
        cids = {e.cid for e in h.events if e.kind == "login_request"}
        assert len(cids) == 1 and h.kinds().count("login_request") == 2
        lrs = [e.data["lr"] for e in h.events if e.kind == "login_request"]
        assert lrs[0].session_id == lrs[1].session_id and lrs[0].password != lrs[1].password
        assert c.summary()["login_responses"] == ["Wrong Password", "peer_info"]
    finally:
        c.close(), h.close()


def t_empty_password_first():
    h, c = host_and_client()
    try:
        c.handshake()
        assert c.login(None, reply_timeout=0.3) is None      # no reply expected
        h.wait("empty_password")
        assert hasattr(c.login(PASSWORD), "displays")
    finally:
        c.close(), h.close()
    h, c = host_and_client()
    try:
        c.handshake()
        assert hasattr(c.login(PASSWORD, empty_first=True, empty_wait=0.2), "displays")
        h.wait("login_ok")
        k = [x for x in h.kinds() if x in ("empty_password", "login_ok")]
        assert k == ["empty_password", "login_ok"], k
        assert [len(lr.password) for lr in c.login_requests] == [0, 32]
    finally:
        c.close(), h.close()


def t_remembered_h1():
    h, c = host_and_client()
    try:
        c.handshake()
        c.wait_hash()
        h1 = client.h1_of(PASSWORD, c.hash.salt)
        assert h1 == hashlib.sha256((PASSWORD + h.salt).encode()).digest()
        assert hasattr(c.login(h1=h1), "displays")
    finally:
        c.close(), h.close()


def t_direct_plaintext():
    h, c = host_and_client(secure=False, direct=True)
    try:
        assert c.handshake() == "plaintext-direct" and not c.encrypted
        assert hasattr(c.login(PASSWORD), "displays")
        lr = h.wait("login_request").data["lr"]
        assert lr.username == f"127.0.0.1:{h.addr[1]}", lr.username
        assert "encrypted" not in h.kinds() and not c.sent[0].encrypted
        assert c.received[0].kind == "hash"
    finally:
        c.close(), h.close()
    # through initiator's direct mode, and with an explicit username
    h = ScriptedHost(secure=False, direct=True)
    res = initiator.connect(None, "", "", "direct", direct_addr=h.addr)
    c = Client(res, username="127.0.0.1")
    try:
        assert c.direct and c.handshake() == "plaintext-direct"
        assert hasattr(c.login(PASSWORD), "displays")
        assert h.wait("login_request").data["lr"].username == "127.0.0.1"
    finally:
        c.close(), h.close()


def t_session_kinds():
    h = ScriptedHost()
    try:
        cases = [("file-transfer", dict(file_dir="/tmp"), "file_transfer",
                  lambda lr: lr.file_transfer.dir == "/tmp" and not lr.HasField("option")),
                 ("port-forward", dict(forward_host="10.0.0.5", forward_port=22),
                  "port_forward", lambda lr: (lr.port_forward.host, lr.port_forward.port)
                  == ("10.0.0.5", 22) and not lr.HasField("option")),
                 ("rdp", {}, "port_forward",
                  lambda lr: lr.port_forward.host == "RDP" and lr.port_forward.port == 0),
                 ("terminal", dict(service_id="svc-1"), "terminal",
                  lambda lr: lr.terminal.service_id == "svc-1" and not lr.HasField("option")),
                 ("view_camera", {}, "view_camera",
                  lambda lr: lr.HasField("view_camera") and lr.HasField("option")),
                 ("desktop", {}, None, lambda lr: lr.HasField("option"))]
        for kind, kw, union, check in cases:
            with Client(h.addr, host_pk=h.pk, target_id=h.id, kind=kind, **kw) as c:
                n = cid_of(h, c)
                c.handshake()
                r = c.login(PASSWORD)
                assert hasattr(r, "displays"), (kind, r)
                lr = h.wait("login_request", cid=n).data["lr"]
                assert lr.WhichOneof("union") == union, (kind, lr.WhichOneof("union"))
                assert check(lr), (kind, lr)
                assert h.wait("login_ok", cid=n).data["kind"] == union
        assert client.CONN_TYPE["terminal"] == 5 and client.CONN_TYPE["file-transfer"] == 1
    finally:
        h.close()


def t_initiator_result_with_leftover():
    """A Result whose leftover already holds the start of the SignedId frame."""
    h = ScriptedHost()
    try:
        s = socket.create_connection(h.addr)
        first = rp.recv_exact(s, 5, 5)
        res = initiator.Result("punch", HOST_ID)
        res.sock, res.leftover, res.host_pk = s, first, h.pk
        c = Client(res)
        assert not c.direct and c.target_id == HOST_ID
        assert c.handshake() == "encrypted"
        assert hasattr(c.login(PASSWORD), "displays")
        c.close()
        assert res.sock is None
        # a Result whose SignedId was already read with initiator.read_first_message
        res = initiator.Result("punch", HOST_ID)
        res.sock, res.host_pk = socket.create_connection(h.addr), h.pk
        first, _ = initiator.read_first_message(res)
        with Client(res) as c:
            assert c.handshake(first_message=first) == "encrypted"
            assert hasattr(c.login(PASSWORD), "displays")
    finally:
        h.close()


def t_verify_failures():
    h = ScriptedHost(handshake_timeout=1.0)
    try:
        other = bytes(nacl.signing.SigningKey.generate().verify_key)
        # strict: nothing is sent, the error names the cause
        with Client(h.addr, host_pk=other, target_id=HOST_ID) as c:
            try:
                c.handshake()
                raise AssertionError("bad signature accepted")
            except client.SignatureError:
                pass
            assert not c.sent
        with Client(h.addr, host_pk=h.pk, target_id="999999999") as c:
            try:
                c.handshake()
                raise AssertionError("wrong IdPk.id accepted")
            except client.HandshakeError as e:
                assert "999999999" in str(e)
        with Client(h.addr, host_pk=None, target_id=HOST_ID) as c:
            try:
                c.handshake()
                raise AssertionError("no host pk accepted")
            except client.HandshakeError:
                pass
        # stock fallbacks (src/client.rs secure_connection)
        with Client(h.addr, host_pk=other, target_id=HOST_ID) as c:
            assert c.handshake(fallback="stock") == "plaintext-pk-mismatch"
            h.wait("empty_public_key", cid=cid_of(h, c))
            assert hasattr(c.login(PASSWORD), "displays") and not c.encrypted
        with Client(h.addr, host_pk=h.pk, target_id="999999999") as c:
            assert c.handshake(fallback="stock") == "plaintext-sign-failure"
            h.wait("empty_message", cid=cid_of(h, c))
        with Client(h.addr, host_pk=None, target_id=HOST_ID) as c:
            assert c.handshake(fallback="stock") == "plaintext-no-sign-pk"
            assert c.sent[0].wire == b"\x00"          # empty Message, header only
            h.wait("empty_message", cid=cid_of(h, c))
            assert hasattr(c.login(PASSWORD), "displays")
            assert c.received[0].kind == "signed_id"  # seen later, ignored
    finally:
        h.close()


def t_fail_closed_surfaced():
    h = ScriptedHost(require_encryption=True)
    try:
        with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as c:
            c.handshake_empty_public_key()
            try:
                c.login(PASSWORD)
                raise AssertionError("login on a refused connection")
            except client.SessionClosed as e:
                assert e.close_reason == "encryption required by host policy", e.close_reason
                assert e.message_boxes and e.message_boxes[0].msgtype == "error"
            assert c.closed and c.message_boxes[0].text.startswith("encryption required")
        with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as c:
            out = c.misbehave("empty-message", wait=5)
            assert out["closed"] and out["close_reason"] == "encryption required by host policy"
            assert out["messages"].get("message_box") == 1, out
    finally:
        h.close()


def _scenario(h, name, host_closes=True, **kw):
    with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as c:
        n = cid_of(h, c)
        out = c.misbehave(name, password=PASSWORD, wait=kw.pop("wait", 5), **kw)
    if host_closes:
        h.wait("closed", cid=n)
    return out, c, n


def t_misbehave_handshake():
    h = ScriptedHost()
    try:
        # a stock host continues in plaintext after these two (no close)
        out, c, n = _scenario(h, "empty-public-key", host_closes=False, wait=0.3)
        h.wait("empty_public_key", cid=n)
        assert c.sent[0].wire == rp.encode_frame(b"\x22\x00")    # Message{public_key{}}
        assert out["messages"].get("hash") == 1 and not c.encrypted, out
        out, c, n = _scenario(h, "empty-message", host_closes=False, wait=0.3)
        assert h.wait("empty_message", cid=n).data["n"] == 0
        assert c.sent[0].wire == b"\x00"
        out, c, n = _scenario(h, "short-key")
        assert h.wait("bad_key_length", cid=n).data["n"] == 31
        assert out["closed"], out
        out, c, n = _scenario(h, "short-key", length=33)
        assert h.wait("bad_key_length", cid=n).data["n"] == 33
        out, c, n = _scenario(h, "bad-box")
        h.wait("box_failed", cid=n)
        out, c, n = _scenario(h, "garbage-before")
        assert h.wait("garbage_before_kx", cid=n).data["payload"] == b"\x07" * 64
        assert out["closed"]
        with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as c:
            n = cid_of(h, c)
            c.read_signed_id()
            probe = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"      # 'GET ' = 4-byte header
            c.send_garbage(framed=False, data=probe)
            assert c.sent[-1].wire == probe
            assert c.wait_closed(5) is not None
            want = int.from_bytes(b"GET ", "little") >> 2
            assert h.wait("oversize", cid=n).data["n"] == want
    finally:
        h.close()


def t_misbehave_channel():
    h = ScriptedHost()
    try:
        out, c, n = _scenario(h, "garbage-after")
        assert h.wait("undecryptable", cid=n).data["detail"] == 64
        assert out["closed"]
        out, c, n = _scenario(h, "wrong-nonce")
        e = h.wait("wrong_nonce", cid=n)
        assert e.data["detail"] == 1, e            # the counter value after the expected one
        out, c, n = _scenario(h, "wrong-nonce", skip=3)
        assert h.wait("wrong_nonce", cid=n).data["detail"] == 3
        out, c, n = _scenario(h, "replay")
        e = h.wait("replay", cid=n)
        replayed = [s for s in c.sent if s.kind.startswith("replay:")]
        assert replayed and replayed[0].wire == [s for s in c.sent if s.encrypted][-2].wire
        assert "test_delay_from_client" in h.kinds(n)       # the original was accepted
        out, c, n = _scenario(h, "input-before-login", wait=0.5)
        h.wait("input_before_login", cid=n, count=2)
        assert [e.data["kind"] for e in h.events if e.cid == n and
                e.kind == "input_before_login"] == ["mouse_event", "key_event"]
    finally:
        h.close()


def t_oversize_preauth():
    h = ScriptedHost(max_preauth=8192)
    try:
        out, c, n = _scenario(h, "oversize")
        assert h.wait("oversize", cid=n).data["n"] >= 65536
        assert out["closed"], out
        sent = [s for s in c.sent if s.kind == "login_request"]
        assert sent and 65536 <= rp.parse_header(sent[0].wire)[1] < 65536 + 64
        with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as c:
            n = cid_of(h, c)
            c.handshake()
            c.wait_hash()
            c.send_oversize_frame(1 << 20, body=10)
            assert c.wait_closed(5) is not None
            assert h.wait("oversize", cid=n).data["n"] == 1 << 20
    finally:
        h.close()


def t_slow_loris_and_idle():
    h = ScriptedHost(handshake_timeout=0.8)
    try:
        with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as c:
            n = cid_of(h, c)
            r = c.slow_loris(interval=0.15, duration=5)
            assert r["closed"] and 0.5 < r["after"] < 3.0, r
            assert 2 <= r["sent"] <= 12, r
            e = h.wait("handshake_timeout", cid=n)
            assert e.data["partial"] >= 1
            assert c.pending or c.received         # the SignedId, unread
        with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as c:
            n = cid_of(h, c)
            out = c.misbehave("idle", wait=4)
            assert out["closed"] and out["closed_after"] < 3.0, out
            h.wait("handshake_timeout", cid=n)
    finally:
        h.close()


def t_scope_latch_and_offline():
    h = ScriptedHost()
    try:
        out, c, n = _scenario(h, "scope-change")
        assert out["result"] == [None, "Connection not allowed"], out
        assert out["closed"] and c.login_error == "Connection not allowed"
        lrs = [e.data["lr"] for e in h.events if e.cid == n and e.kind == "login_request"]
        assert [lr.my_id for lr in lrs] == ["100200300", "999888777"]
        out, c, n = _scenario(h, "wrong-username")
        assert out["result"] == "Offline" and out["closed"], out
        assert h.wait("login_request", cid=n).data["lr"].username == "not-" + HOST_ID
        out, c, n = _scenario(h, "wrong-password", host_closes=False, wait=0.3)
        assert out["result"] == "Wrong Password" and not out["closed"], out
    finally:
        h.close()


def t_tiny_frames_not_decrypted():
    h = ScriptedHost(send_tiny=True)
    try:
        with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as c:
            c.handshake()
            assert hasattr(c.login(PASSWORD), "displays")
            kinds = [r.kind for r in c.received]
            assert kinds[1:4] == ["hash", "empty", "unparsable"], kinds
            assert c.codec.recv_seq == len(c.received) - 3 - (kinds.count("decrypt_error"))
    finally:
        h.close()


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


def t_rendezvous_paths():
    import selftest
    for mode, kw in (("punch", dict(force_punch=True)), ("relay", dict(force_relay=True)),
                     ("client-relay", dict(force_punch=True))):
        rs, relay = selftest.setup(**kw)
        h = None
        try:
            h = _RdvHost.make(rs)
            c = Client.via_rendezvous(rs.addr, rs.licence_key, h.id, mode, kind="file-transfer",
                                      file_dir="/srv")
            with c:
                assert c.result.host_pk == h.pk
                assert c.handshake() == "encrypted", mode
                assert c.login("wrong") == "Wrong Password"
                pi = c.login(PASSWORD)
                assert hasattr(pi, "displays") and len(pi.displays) == 0, (mode, pi)
                lr = h.scripted.wait("login_request").data["lr"]
                assert lr.file_transfer.dir == "/srv"
            if mode == "punch":
                push = rs.wait_for("punch_hole_request")
                assert push.msg.conn_type == 1, push.msg       # FILE_TRANSFER
            assert not h.errors, h.errors
        finally:
            if h is not None:
                h.close()
            rs.stop(), relay.stop()


def t_cli():
    h = ScriptedHost(secure=False, direct=True)
    try:
        py = sys.executable
        r = subprocess.run([py, os.path.join(HERE, "client.py"), "--direct",
                            f"127.0.0.1:{h.addr[1]}", "--id", HOST_ID, "--password", PASSWORD,
                            "--kind", "terminal"], capture_output=True, text=True, timeout=20)
        line = r.stdout.strip().splitlines()[-1]
        d = json.loads(line)
        assert r.returncode == 0 and d["ok"], (r.returncode, line, r.stderr)
        assert d["login"]["peer_info"]["platform"] == "Linux"
        assert d["permissions"] == {"Keyboard": False} and d["channel"] == "plaintext-direct"
        r = subprocess.run([py, os.path.join(HERE, "client.py"), "--direct",
                            f"127.0.0.1:{h.addr[1]}", "--id", HOST_ID, "--password", "bad"],
                           capture_output=True, text=True, timeout=20)
        d = json.loads(r.stdout.strip().splitlines()[-1])
        assert r.returncode == 1 and d["login"] == {"error": "Wrong Password"}, d
        r = subprocess.run([py, os.path.join(HERE, "client.py"), "--direct",
                            f"127.0.0.1:{h.addr[1]}", "--id", HOST_ID, "--password", PASSWORD,
                            "--misbehave", "wrong-username", "--wait", "3"],
                           capture_output=True, text=True, timeout=20)
        d = json.loads(r.stdout.strip().splitlines()[-1])
        assert d["result"] == "Offline" and d["closed"], d
    finally:
        h.close()


def t_concurrent_bad_clients():
    h = ScriptedHost(handshake_timeout=1.0, idle_timeout=2.0)
    names = ["empty-public-key", "short-key", "bad-box", "garbage-before", "garbage-after",
             "wrong-nonce", "replay", "oversize", "scope-change", "wrong-username"]
    outs, errs = [], []

    def run(i):
        try:
            with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as c:
                outs.append(c.misbehave(names[i % len(names)], password=PASSWORD, wait=5))
        except Exception as e:
            errs.append(repr(e))
    try:
        ts = [threading.Thread(target=run, args=(i,)) for i in range(30)]
        [t.start() for t in ts]
        with Client(h.addr, host_pk=h.pk, target_id=HOST_ID) as good:
            good.handshake()
            assert hasattr(good.login(PASSWORD), "displays")
        [t.join(15) for t in ts]
        assert not errs, errs
        assert len(outs) == 30 and all(o["closed"] for o in outs), \
            [o for o in outs if not o["closed"]]
    finally:
        h.close()


TESTS = [v for k, v in list(globals().items()) if k.startswith("t_")]


def main():
    names = [a for a in sys.argv[1:] if not a.startswith("-")]
    passed = failed = 0
    t_all = time.monotonic()
    for t in TESTS:
        if names and not any(n in t.__name__ for n in names):
            continue
        t0 = time.monotonic()
        try:
            t()
            passed += 1
            print(f"ok   {t.__name__} ({time.monotonic() - t0:.2f}s)", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {t.__name__} ({time.monotonic() - t0:.2f}s)", flush=True)
            traceback.print_exc()
    print(f"total {time.monotonic() - t_all:.1f}s")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
