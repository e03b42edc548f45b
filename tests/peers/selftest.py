# SPDX-License-Identifier: MIT
"""Self-test of the Python test peers against each other, without the C
agent: a scripted fake host registers with rendezvous.py, answers its pushes
like a RustDesk host (§3.3, §4.2-§4.5) and serves a byte pipe; initiator.py
connects through every path.  Last line: 'N passed, M failed'.

    /usr/bin/python3 tests/peers/selftest.py [-v] [name-substring ...]
"""
import os
import queue
import socket
import sys
import threading
import time
import traceback
import uuid as uuidlib

import nacl.signing

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rdproto as rp                                    # noqa: E402
import selftest_runner                                 # noqa: E402
from rendezvous import RendezvousServer                 # noqa: E402
from relay import RelayServer                           # noqa: E402
import initiator                                        # noqa: E402
from initiator import InitiatorError                    # noqa: E402

pb = rp.pb
VERBOSE = "-v" in sys.argv


# ------------------------------------------------------------ fake host
class FakeHost:
    """Minimal scripted RustDesk host (UDP mode)."""

    def __init__(self, rs, id_="123456789", key=None, version="1.4.9", ip="127.0.0.1",
                 uuid=b"0123456789abcdef0123456789abcdef", relay_override=None):
        self.rs_addr = (rs.host, rs.port)
        self.id, self.version, self.uuid, self.ip = id_, version, uuid, ip
        self.key = rs.licence_key if key is None else key
        self.sk = nacl.signing.SigningKey.generate()
        self.pk = bytes(self.sk.verify_key)
        self.relay_override = relay_override
        self.signed_id_greeting = False     # greet with Message{signed_id} (§5.3)
        self.box_pk = os.urandom(32)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((ip, 0))
        self.q = queue.Queue()
        self.sessions = []          # (how, socket)
        self.errors = []
        self.stopped = False
        self.threads = [threading.Thread(target=self._rx, daemon=True)]
        self.threads[0].start()

    def close(self):
        self.stopped = True
        self.udp.close()
        for _, s in self.sessions:
            try:
                s.close()
            except OSError:
                pass

    # ---- UDP
    def send(self, kind, **fields):
        self.udp.sendto(rp.rmsg(kind, **fields), self.rs_addr)

    def recv(self, kind, timeout=2.0):
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"host {self.id}: no {kind}")
            try:
                k, m = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if k == kind:
                return m

    def register_pk(self, pk=None, uuid=None, id_=None):
        self.send("register_pk", id=id_ or self.id, uuid=uuid or self.uuid, pk=pk or self.pk)
        return self.recv("register_pk_response").result

    def register_peer(self, serial=0):
        self.send("register_peer", id=self.id, serial=serial)
        return self.recv("register_peer_response").request_pk

    def _rx(self):
        while not self.stopped:
            try:
                data, _ = self.udp.recvfrom(65536)
            except OSError:
                return
            kind, msg = rp.parse_rmsg(data)
            if kind in ("punch_hole", "fetch_local_addr", "request_relay"):
                t = threading.Thread(target=self._handle, args=(kind, msg), daemon=True)
                t.start()
                self.threads.append(t)
            self.q.put((kind, msg))

    # ---- pushes
    def _handle(self, kind, msg):
        try:
            relay = self.relay_override or msg.relay_server
            if kind == "request_relay":
                self._relay(msg.socket_addr, relay, msg.uuid, initiate=False)
            elif kind == "punch_hole" and msg.nat_type == rp.NAT_SYMMETRIC:
                self._relay(msg.socket_addr, relay, str(uuidlib.uuid4()), initiate=True)
            else:
                self._punch(kind, msg, relay)
        except Exception as e:
            self.errors.append(f"{kind}: {e!r}")
            if VERBOSE:
                traceback.print_exc()

    def _punch(self, kind, msg, relay):
        s = rp.reuse_socket()
        s.bind((self.ip, 0))
        s.connect(self.rs_addr)
        L = s.getsockname()
        if kind == "punch_hole":
            out = rp.rmsg("punch_hole_sent", socket_addr=msg.socket_addr, id=self.id,
                          relay_server=relay, nat_type=rp.NAT_ASYMMETRIC, version=self.version)
        else:
            out = rp.rmsg("local_addr", socket_addr=msg.socket_addr, id=self.id,
                          local_addr=rp.addr_encode(*L), relay_server=relay,
                          version=self.version)
        lst = rp.reuse_socket()
        lst.bind(L)
        lst.listen(1)
        s.sendall(rp.encode_frame(out))
        s.close()
        lst.settimeout(5)
        try:
            c, _ = lst.accept()
        finally:
            lst.close()
        self._session(c, kind)

    def _relay(self, socket_addr, relay, uuid, initiate):
        r = socket.create_connection(rp.split_host_port(relay, 21117), timeout=5)
        greet = f"HELLO {self.id} via relay".encode()
        # RequestRelay and the first session bytes in one write: hbbr must
        # forward what it buffered after the first frame.
        r.sendall(rp.encode_frame(rp.rmsg("request_relay", uuid=uuid, licence_key=self.key))
                  + greet)
        s = socket.create_connection(self.rs_addr, timeout=5)
        if initiate:
            rr = rp.rmsg("relay_response", socket_addr=socket_addr, uuid=uuid,
                         relay_server=relay, id=self.id, version=self.version)
        else:
            rr = rp.rmsg("relay_response", socket_addr=socket_addr, version=self.version)
        s.sendall(rp.encode_frame(rr))
        s.close()
        self._session(r, "relay", greeted=True)

    def _session(self, c, how, greeted=False):
        self.sessions.append((how, c))
        c.settimeout(10)
        if self.signed_id_greeting:
            m = rp.mpb.Message()
            m.signed_id.id = rp.sign_id_pk(self.sk, self.id, self.box_pk)
            c.sendall(rp.encode_frame(m.SerializeToString()))
        elif not greeted:
            c.sendall(f"HELLO {self.id} via {how}".encode())
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(b"echo:" + d)
        except OSError:
            pass
        finally:
            c.close()


def direct_listener():
    """A host 'direct-server' port: greets and echoes one connection."""
    lst = rp.reuse_socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)

    def run():
        lst.settimeout(5)
        try:
            c, _ = lst.accept()
        except OSError:
            return
        finally:
            lst.close()
        c.sendall(b"HELLO direct")
        d = c.recv(100)
        c.sendall(b"echo:" + d)
        c.close()
    threading.Thread(target=run, daemon=True).start()
    return lst.getsockname()


def check_pipe(res, via):
    """The pipe carries the host's greeting and an echo both ways."""
    greet = f"via {via}".encode()
    data = rp.recv_exact(res.sock, len(f"HELLO 123456789 via {via}"), 5)
    assert data.endswith(greet), data
    res.sock.sendall(b"ping-" + via.encode())
    want = b"echo:ping-" + via.encode()
    assert rp.recv_exact(res.sock, len(want), 5) == want


def setup(**kw):
    relay_key = kw.pop("relay_key", "SAME")
    rs = RendezvousServer(**kw).start()
    relay = RelayServer(key=rs.licence_key if relay_key == "SAME" else relay_key,
                        park_timeout=3, first_frame_timeout=2).start()
    rs.relay_servers = [relay.address]
    return rs, relay


def online_host(rs, **kw):
    h = FakeHost(rs, **kw)
    assert h.register_peer() is True            # unknown -> request_pk
    assert h.register_pk() == pb.RegisterPkResponse.OK
    assert rs.registered(h.id)
    return h


# ------------------------------------------------------------------ tests
def t_framing():
    for n, hl in ((0, 1), (63, 1), (64, 2), (0x3FFF, 2), (0x4000, 3), (0x3FFFFF, 3),
                  (0x400000, 4)):
        f = rp.encode_frame(b"x" * n)
        assert len(f) == n + hl, (n, len(f))
        assert rp.FrameDecoder(1 << 30).feed(f) == [b"x" * n]
    assert rp.encode_frame(b"12345")[:1] == b"\x14"
    assert rp.encode_frame(b"y" * 300)[:2] == b"\xb1\x04"
    d = rp.FrameDecoder()
    blob = b"".join(rp.encode_frame(b"abc", hl) for hl in (1, 2, 3, 4)) + rp.encode_frame(b"")
    out = []
    for i in range(len(blob)):              # byte-by-byte, non-shortest headers
        out += d.feed(blob[i:i + 1])
    assert out == [b"abc"] * 4 + [b""], out
    try:
        rp.FrameDecoder(10).feed(rp.encode_frame(b"z" * 11))
        raise AssertionError("oversize accepted")
    except rp.ProtoError:
        pass


def t_addr_mangle():
    for ip, port in (("127.0.0.1", 1), ("192.168.16.32", 21116), ("255.255.255.255", 65535),
                     ("0.0.0.1", 0), ("10.0.0.1", 40000)):
        for tm in (0, 1, 0xFFFF, 0x12345678, 0xFFFFFFFF, None):
            assert rp.addr_decode(rp.addr_encode(ip, port, tm)) == (ip, port), (ip, port, tm)
    # hand-computed vector: ip 1.2.3.4, port 5, tm 0 -> ((0x04030201)<<49)|5
    v = rp.addr_encode("1.2.3.4", 5, 0)
    assert v == ((0x04030201 << 49) | 5).to_bytes(16, "little").rstrip(b"\0")
    assert len(rp.addr_encode("1.2.3.4", 5, 0x12345678)) <= 16
    assert rp.addr_decode(b"") == ("0.0.0.0", 0)
    v6 = rp.addr_encode("2001:db8::1", 8080)
    assert len(v6) == 18 and v6[-2:] == (8080).to_bytes(2, "little")
    assert rp.addr_decode(v6) == ("2001:db8::1", 8080)
    assert rp.addr_decode(rp.addr_encode("::ffff:127.0.0.1", 80)) == ("127.0.0.1", 80)
    assert rp.addr_decode(rp.addr_encode("::1", 80)) == ("::1", 80)
    assert rp.addr_decode(b"\1" * 17) == ("::", 0)


def t_registration():
    rs, relay = setup(serial=5, rendezvous_servers=["a:1"])
    try:
        h = FakeHost(rs)
        assert h.register_peer(serial=7) is True
        assert h.register_pk() == pb.RegisterPkResponse.OK
        assert h.register_peer(serial=7) is False
        assert rs.last_register_time(h.id) is not None
        h.send("register_peer", id=h.id, serial=3)        # our serial 5 > 3
        cu = h.recv("configure_update")
        assert cu.serial == 5 and list(cu.rendezvous_servers) == ["a:1"]
        ev = rs.wait_for("register_pk")
        assert ev.msg.pk == h.pk and ev.transport == "udp"
        h2 = FakeHost(rs, ip="127.0.0.2", id_=h.id)       # same uuid, new IP, same pk
        assert h2.register_peer() is True                 # IP changed -> request_pk
        assert h2.register_pk(pk=h.pk) == pb.RegisterPkResponse.OK
        assert rs.peer_info(h.id)["ip"] == "127.0.0.2"
        h.close(), h2.close()
    finally:
        rs.stop(), relay.stop()


def t_uuid_mismatch_and_limits():
    rs, relay = setup(ip_limit=3)
    try:
        h = online_host(rs)
        assert h.register_pk(id_="12345") == pb.RegisterPkResponse.UUID_MISMATCH  # short
        assert h.register_pk(uuid=b"other-uuid") == pb.RegisterPkResponse.UUID_MISMATCH
        h3 = FakeHost(rs, ip="127.0.0.3", id_=h.id)                # new IP + new pk
        assert h3.register_pk(pk=b"\7" * 32) == pb.RegisterPkResponse.UUID_MISMATCH
        # per-ID: 3 accepted within the window, the 4th TOO_FREQUENT
        g = FakeHost(rs, id_="777777", ip="127.0.0.4")
        assert [g.register_pk() for _ in range(4)] == [0, 0, 0, pb.RegisterPkResponse.TOO_FREQUENT]
        # per-IP (ip_limit=3; hbbs' first sighting is free): 5th id from one IP fails
        p = FakeHost(rs, ip="127.0.0.5")
        got = [p.register_pk(id_=f"88888{i}") for i in range(6)]
        assert got[:4] == [0] * 4 and pb.RegisterPkResponse.TOO_FREQUENT in got[4:], got
        rs.force_register_pk_result("ID_EXISTS")
        assert h.register_pk() == pb.RegisterPkResponse.ID_EXISTS
        assert h.register_pk() == pb.RegisterPkResponse.OK
        h.send("register_pk", id=h.id, uuid=b"", pk=h.pk)    # ignored: no answer
        try:
            h.recv("register_pk_response", 0.3)
            raise AssertionError("answered RegisterPk with empty uuid")
        except TimeoutError:
            pass
        for x in (h, h3, g, p):
            x.close()
    finally:
        rs.stop(), relay.stop()


def t_punch():
    rs, relay = setup(force_punch=True)
    try:
        h = online_host(rs)
        res = initiator.connect(rs.addr, rs.licence_key, h.id, "punch")
        assert res.host_pk == h.pk and not res.is_local
        assert res.nat_type == rp.NAT_ASYMMETRIC
        assert res.relay_server == relay.address
        check_pipe(res, "punch_hole")
        phs = rs.wait_for("punch_hole_sent", transport="tcp")
        assert phs.msg.version == "1.4.9"
        push = rs.wait_for("punch_hole", direction="out")
        assert push.transport == "udp" and push.msg.socket_addr == phs.msg.socket_addr
        assert rp.addr_decode(push.msg.socket_addr)[0] == "127.0.0.1"
        res.close(), h.close()
        assert not h.errors, h.errors
    finally:
        rs.stop(), relay.stop()


def t_local():
    rs, relay = setup()
    try:
        h = online_host(rs)
        res = initiator.connect(rs.addr, rs.licence_key, h.id, "local")
        assert res.is_local and res.host_pk == h.pk
        check_pipe(res, "fetch_local_addr")
        la = rs.wait_for("local_addr", transport="tcp")
        assert rp.addr_decode(la.msg.local_addr) == tuple(res.peer_addr)
        try:
            initiator.connect(rs.addr, rs.licence_key, h.id, "punch", timeout=3)
            raise AssertionError("strict punch accepted is_local")
        except InitiatorError:
            pass
        res.close(), h.close()
        assert not h.errors, h.errors
    finally:
        rs.stop(), relay.stop()


def t_relay_host_initiated():
    rs, relay = setup(force_relay=True)
    try:
        h = online_host(rs)
        res = initiator.connect(rs.addr, rs.licence_key, h.id, "relay")
        assert res.host_pk == h.pk and res.relay_uuid
        assert res.relay_response.WhichOneof("union") == "pk"
        check_pipe(res, "relay")
        p = relay.wait_paired(res.relay_uuid)
        assert p.first[1].licence_key == rs.licence_key and p.second[1].id == h.id
        push = rs.wait_for("punch_hole", direction="out")
        assert push.msg.nat_type == rp.NAT_SYMMETRIC
        rr_in = rs.wait_for("relay_response", transport="tcp")
        assert rr_in.msg.id == h.id
        res.close(), h.close()
        assert not h.errors, h.errors
    finally:
        rs.stop(), relay.stop()


def t_client_relay():
    rs, relay = setup(force_punch=True)
    try:
        h = online_host(rs)
        res = initiator.connect(rs.addr, rs.licence_key, h.id, "client-relay")
        check_pipe(res, "relay")
        push = rs.wait_for("request_relay", direction="out")
        assert push.msg.uuid == res.relay_uuid and push.msg.secure is True
        assert rp.addr_decode(push.msg.socket_addr)[0] == "127.0.0.1"
        assert res.relay_response.WhichOneof("union") is None   # no id -> no pk
        relay.wait_paired(res.relay_uuid)
        res.close(), h.close()
    finally:
        rs.stop(), relay.stop()


def t_first_session_bytes():
    rs, relay = setup(force_punch=True)
    try:
        h = online_host(rs)
        h.signed_id_greeting = True
        res = initiator.connect(rs.addr, rs.licence_key, h.id, "punch")
        msg, raw = initiator.read_first_message(res)
        assert initiator.open_signed_id(res, msg) == (h.id, h.box_pk)
        res.close(), h.close()
    finally:
        rs.stop(), relay.stop()


def t_direct():
    addr = direct_listener()
    res = initiator.connect(None, "", "", "direct", direct_addr=addr)
    assert rp.recv_exact(res.sock, 12, 5) == b"HELLO direct"
    res.sock.sendall(b"x")
    assert rp.recv_exact(res.sock, 6, 5) == b"echo:x"
    res.close()


def t_failures():
    rs, relay = setup(force_punch=True, reg_timeout=0.4)
    try:
        h = online_host(rs)
        for key, id_, want in (("wrong", h.id, "LICENSE_MISMATCH"),
                               (rs.licence_key, "999999999", "ID_NOT_EXIST")):
            try:
                initiator.connect(rs.addr, key, id_, "punch", timeout=3)
                raise AssertionError(f"no {want}")
            except InitiatorError as e:
                assert e.failure_name == want, (e, e.failure_name)
        time.sleep(0.5)                 # no RegisterPeer for > reg_timeout
        try:
            initiator.connect(rs.addr, rs.licence_key, h.id, "punch", timeout=3)
            raise AssertionError("no OFFLINE")
        except InitiatorError as e:
            assert e.failure_name == "OFFLINE", e
        assert h.register_peer() is False
        assert rs.registered(h.id)
        h.close()
    finally:
        rs.stop(), relay.stop()


def t_no_version_no_pk():
    rs, relay = setup(force_punch=True)
    try:
        h = online_host(rs, version="")
        res = initiator.connect(rs.addr, rs.licence_key, h.id, "punch")
        assert res.host_pk is None and res.signed_pk == b""
        check_pipe(res, "punch_hole")
        try:
            initiator.connect(rs.addr, rs.licence_key, h.id, "punch", pk_policy="require")
            raise AssertionError("require accepted a missing pk")
        except InitiatorError:
            pass
        res.close(), h.close()
    finally:
        rs.stop(), relay.stop()


def t_relay_behaviour():
    relay = RelayServer(key="K", park_timeout=0.5, first_frame_timeout=0.5,
                        idle_timeout=0.6).start()
    try:
        def join(key, uuid, extra=b""):
            s = socket.create_connection(relay.addr, timeout=3)
            s.sendall(rp.encode_frame(rp.rmsg("request_relay", uuid=uuid, licence_key=key))
                      + extra)
            return s

        def closed(s, t=2.0):
            s.settimeout(t)
            try:
                return s.recv(10) == b""
            except ConnectionResetError:
                return True
            except socket.timeout:
                return False

        bad = join("wrong", "u1")
        assert closed(bad)
        ok = join("K", "u1")                       # does not pair with the rejected one
        assert closed(ok)                          # parked 0.5 s, then dropped
        assert not [p for p in relay.pairings() if p.uuid == "u1"]
        a = join("K", "u2", b"early-bytes")
        b = join("K", "u2")
        assert rp.recv_exact(b, 11, 3) == b"early-bytes"
        b.sendall(b"back")
        assert rp.recv_exact(a, 4, 3) == b"back"
        p = relay.wait_paired("u2")
        assert closed(a, 3) and closed(b, 3)       # idle timeout 0.6 s
        assert p.a2b == 11 and p.b2a == 4 and p.end_reason == "idle timeout", p
        e = join("K", "")
        assert closed(e)
        g = socket.create_connection(relay.addr, timeout=3)
        g.sendall(rp.encode_frame(b"\xff\xff garbage"))
        assert closed(g)
        silent = socket.create_connection(relay.addr, timeout=3)
        assert closed(silent)                      # first-frame timeout 0.5 s
        reasons = [ev.note for ev in relay.events("reject", direction="info")]
        assert any("licence_key" in r for r in reasons), reasons
        for s in (bad, ok, a, b, e, g, silent):
            s.close()
    finally:
        relay.stop()


def t_garbage_and_ignored():
    rs, relay = setup(force_punch=True)
    try:
        h = online_host(rs)
        for junk in (b"\xff\xff\xff", os.urandom(50), b"", b"\x0a\x02\x08\x01"):
            h.udp.sendto(junk, (rs.host, rs.port))
        h.send("punch_hole_sent", socket_addr=rp.addr_encode("127.0.0.1", 9), id=h.id,
               version="1")                         # ignored over UDP
        s = socket.create_connection(rs.addr, timeout=3)
        s.sendall(rp.encode_frame(b"\xff\xfe\xfd"))
        s.settimeout(2)
        assert s.recv(10) == b""                    # hbbs drops bad TCP frames
        s.close()
        assert h.register_peer() is False           # still alive
        assert rs.events("garbage")
        assert [e for e in rs.events("punch_hole_sent", direction="info", transport="udp")
                if e.note == "ignored"]
        h.close()
    finally:
        rs.stop(), relay.stop()


def t_nat_test_and_online():
    rs, relay = setup()
    try:
        h = online_host(rs)
        for port in (rs.port, rs.nat_port):
            fs = rp.FramedSocket.connect((rs.host, port))
            fs.send_msg("test_nat_request", serial=0)
            kind, msg = fs.recv_msg()
            assert kind == "test_nat_response" and msg.port == fs.sock.getsockname()[1]
            fs.close()
        fs = rp.FramedSocket.connect((rs.host, rs.nat_port))
        fs.send_msg("online_request", id="x", peers=["nobody", h.id])
        kind, msg = fs.recv_msg()
        assert kind == "online_response" and msg.states == bytes([0x40]), msg
        fs.close()
        fs = rp.FramedSocket.connect(rs.addr)       # OSS: no TCP registration
        fs.send_msg("register_pk", id=h.id, uuid=h.uuid, pk=h.pk)
        kind, msg = fs.recv_msg()
        assert msg.result == pb.RegisterPkResponse.NOT_SUPPORT
        fs.close()
        h.close()
    finally:
        rs.stop(), relay.stop()


def t_drop_udp_and_restart():
    rs, relay = setup(force_punch=True)
    try:
        h = online_host(rs)
        rs.drop_udp = True
        h.send("register_peer", id=h.id, serial=0)
        try:
            h.recv("register_peer_response", 0.3)
            raise AssertionError("answered while UDP is dropped")
        except TimeoutError:
            pass
        assert rs.wait_for("register_peer", pred=lambda e: e.note == "dropped")
        rs.drop_udp = False
        port = rs.port
        rs.restart()
        assert rs.port == port and rs.known(h.id) and not rs.registered(h.id)
        assert h.register_peer() is True            # hbbs forgot us
        assert h.register_pk() == pb.RegisterPkResponse.OK
        assert not rs.registered(h.id)              # unchanged pk: no refresh yet
        assert h.register_peer() is False
        assert rs.registered(h.id)
        res = initiator.connect(rs.addr, rs.licence_key, h.id, "punch")
        check_pipe(res, "punch_hole")
        res.close(), h.close()
    finally:
        rs.stop(), relay.stop()


def t_pro_tcp_mode():
    rs, relay = setup(tcp_mode="pro", keep_alive=5, force_punch=True)
    try:
        h = FakeHost(rs)
        fs = rp.FramedSocket.connect(rs.addr)
        kind, kx = rp.parse_rmsg(fs.recv())
        assert kind == "key_exchange" and len(kx.keys) == 1
        reply, codec = rp.kx_client_reply(kx.keys[0], rs.public_key_b64)
        fs.send(reply)
        fs.codec = codec
        fs.send_msg("register_pk", id=h.id, uuid=h.uuid, pk=h.pk)
        kind, msg = fs.recv_msg()
        assert kind == "register_pk_response" and msg.result == 0 and msg.keep_alive == 5
        assert rs.registered(h.id) and rs.peer_info(h.id)["tcp"]
        assert rs.send_heartbeat(h.id)
        assert fs.recv() == b""                     # heartbeat (encrypted empty)
        fs.send(b"")                                # echo
        rs.wait_for("heartbeat", pred=lambda e: e.note == "echo")
        # a client's PunchHoleRequest is pushed on the registration connection
        done = {}

        def client():
            try:
                done["res"] = initiator.connect(rs.addr, rs.licence_key, h.id, "punch",
                                                timeout=5)
            except Exception as e:
                done["err"] = e
        t = threading.Thread(target=client)
        t.start()
        kind, ph = fs.recv_msg()
        assert kind == "punch_hole", kind
        # answer like a host (over new TCP connections)
        threading.Thread(target=h._handle, args=("punch_hole", ph), daemon=True).start()
        t.join(10)
        assert "res" in done, done
        assert done["res"].host_pk == h.pk
        done["res"].close()
        rs.drop_tcp(h.id)
        got = fs.recv(3)
        assert got is None and not rs.registered(h.id), got
        fs.close(), h.close()
    finally:
        rs.stop(), relay.stop()


def t_websocket_relay():
    """hbbr's websocket conversion: a TCP host and a websocket client
    paired; every frame crosses as one message and back, empty frames and
    text messages are dropped; a bad upgrade is refused."""
    import wsock
    relay = RelayServer(ws=True).start()
    try:
        assert relay.ws_port == relay.port + 2, (relay.port, relay.ws_port)
        host = rp.FramedSocket.connect(relay.addr)
        host.send(rp.rmsg("request_relay", uuid="ws-1"))
        ws, rest = wsock.ws_connect(relay.ws_addr)
        ws.sendall(wsock.encode(wsock.OP_BINARY, rp.rmsg("request_relay", uuid="ws-1"),
                                mask=True))
        relay.wait_paired("ws-1")
        dec = wsock.Decoder()
        # host -> web: three frames, the empty one is not forwarded
        host.sock.sendall(rp.encode_frame(b"abc") + rp.encode_frame(b"") +
                          rp.encode_frame(b"x" * 70000))
        got = dec.feed(rest)
        ws.settimeout(5)
        while len(got) < 2:
            got += dec.feed(ws.recv(65536))
        assert [(op, len(p)) for op, p in got] == [(wsock.OP_BINARY, 3),
                                                   (wsock.OP_BINARY, 70000)], got
        # web -> host: a text message and an empty binary are dropped
        for op, p in ((wsock.OP_TEXT, b"hi"), (wsock.OP_BINARY, b""),
                      (wsock.OP_BINARY, b"hello")):
            ws.sendall(wsock.encode(op, p, mask=True))
        assert host.recv(5) == b"hello"
        ws.close(), host.close()
        # a client that does not upgrade is dropped
        s = socket.create_connection(relay.ws_addr)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(5)
        assert s.recv(100) == b""
        s.close()
    finally:
        relay.stop()


def t_cli_ready_line():
    import json
    import subprocess
    here = os.path.dirname(os.path.abspath(__file__))
    for script, keys in (("rendezvous.py", ("port", "nat_port", "key")),
                         ("relay.py", ("port",))):
        p = subprocess.Popen([sys.executable, os.path.join(here, script)],
                             stdout=subprocess.PIPE, text=True)
        try:
            d = json.loads(p.stdout.readline())
            assert d["ready"] and all(d[k] for k in keys), d
        finally:
            p.terminate()
            p.wait(5)
            p.stdout.close()


if __name__ == "__main__":
    sys.exit(selftest_runner.run(globals()))
