# SPDX-License-Identifier: MIT
"""A test rendezvous server that behaves like OSS hbbs 1.1.x (and, with
tcp_mode='pro', like the TCP registration side of RustDesk Server Pro).

Written from /work/shared/protocol/rustdesk-protocol.md §1-§5 and the
behaviour of rustdesk/rustdesk-server src/rendezvous_server.rs + src/peer.rs;
it does not look at the agent's C code.

Library use (all methods are thread-safe; the server runs its own asyncio
loop in a daemon thread):

    rs = RendezvousServer(port=0, relay_servers=['127.0.0.1:%d' % relay.port])
    rs.start()
    ... rs.wait_for('register_pk') ... rs.registered('123456') ...
    rs.stop()

CLI:  /usr/bin/python3 tests/peers/rendezvous.py [--port N] [--events] ...
prints one JSON line {"ready": true, "port": ..., "nat_port": ..., "key": ...}
(see --help; --control reads commands from stdin).

This module keeps the core server (set-up, test hooks, send/push helpers,
UDP registration) and the CLI; rendezvous_tcp holds Conn and TcpMixin (TCP
listeners, NAT test, punch/relay coordination, Pro-mode heartbeats), both
re-exported here.
"""
import argparse
import asyncio
import base64
import ipaddress
import json
import logging
import signal
import socket
import sys
import time

import nacl.public
import nacl.signing

try:
    from . import rdproto as rp
    from .registry import RESULTS, Registry
    from .rendezvous_tcp import Conn, TcpMixin, pb
except ImportError:
    import rdproto as rp
    from registry import RESULTS, Registry
    from rendezvous_tcp import Conn, TcpMixin, pb

__all__ = ["Conn", "RendezvousServer", "TcpMixin", "main", "pb"]

log = logging.getLogger("peers.rendezvous")


def free_rendezvous_port():
    """A port R with R-1, R and R+1 free for TCP and R free for UDP: where
    nothing of hbbs' layout listens (for tests of a server that is
    down)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            r = s.getsockname()[1]
        socks = []
        try:
            for p in (r - 1, r, r + 1):
                t = socket.socket()
                socks.append(t)
                t.bind(("127.0.0.1", p))
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(u)
            u.bind(("127.0.0.1", r))
            return r
        except OSError:
            continue
        finally:
            for t in socks:
                t.close()
    raise RuntimeError("no free port triple")


def _listen_socket(fam):
    """TCP listener socket with SO_REUSEADDR only (no SO_REUSEPORT, so we
    never share a port with another listener)."""
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return s


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, srv):
        self.srv = srv

    def datagram_received(self, data, addr):
        try:
            self.srv._on_udp(data, rp.norm_addr(addr[:2]))
        except Exception:   # never let one datagram kill the server
            log.exception("udp handler failed")

    def error_received(self, exc):
        log.debug("udp error: %s", exc)


class RendezvousServer(TcpMixin):
    """OSS-hbbs-like rendezvous server.  Constructor knobs are also plain
    attributes that tests may change at run time (e.g. rs.drop_udp = True).

    key            None/'-': generate (or use `sk`) and enforce base64(pk);
                   '': no licence check; base64 of a 64-byte sk: use it and
                   enforce its pk; any other string: enforce that literal.
    sk             32-byte seed / 64-byte libsodium sk (or base64) to sign with.
    nat_port       None: port-1; 0/False: no NAT-test listener; int: that port.
    relay_servers  list of 'host[:port]' handed out round-robin.
    force_punch    never send FetchLocalAddr (same-IP check off) -> PunchHole.
    force_relay    PunchHole with nat_type=SYMMETRIC, even for same IP.
    always_use_relay  like hbbs' ALWAYS_USE_RELAY=Y (same IP still gets
                   FetchLocalAddr, exactly as upstream).
    punch_hole_extra  dict of extra PunchHole fields (udp_port, force_relay…).
    drop_udp       record incoming datagrams but neither process nor answer,
                   and send no UDP pushes (UDP blocked).
    reg_timeout    offline threshold (30 s); reg_pk_window/reg_pk_limit: the
                   per-ID RegisterPk limiter (4th within 6 s fails);
                   ip_window/ip_limit/ip_id_limit: per-IP limiter.
    serial, rendezvous_servers   for ConfigUpdate / TestNatResponse.cu.
    tcp_mode       'oss' (TCP RegisterPk -> NOT_SUPPORT) or 'pro' (KeyExchange
                   on every TCP accept, RegisterPk over TCP, pushes on it).
    keep_alive     RegisterPkResponse.keep_alive (seconds) in pro mode.
    heartbeat_interval  pro mode: send empty frames this often (None = off).
    heartbeat_raw  send heartbeats as raw 0-byte frames even when encrypted.
    ignore_loopback_ip_change   upstream never sees an IP change from a
                   loopback address; default False so 127.0.0.x tests work.
    db_path        sqlite file for the ID table (default: in memory).
    """

    def __init__(self, host="127.0.0.1", port=0, key=None, *, sk=None, nat_port=None,
                 relay_servers=(), force_punch=False, force_relay=False,
                 always_use_relay=False, punch_hole_extra=None, drop_udp=False,
                 reg_timeout=30.0, reg_pk_window=6.0, reg_pk_limit=2,
                 ip_window=60.0, ip_limit=30, ip_id_limit=300, tcp_read_timeout=30.0,
                 serial=0, rendezvous_servers=(), tcp_mode="oss", keep_alive=0,
                 heartbeat_interval=None, heartbeat_raw=False,
                 ignore_loopback_ip_change=False, db_path=None, max_frame=65536,
                 event_sink=None, ws=False):
        self.host = host
        self.ws = ws
        self.ws_port = None
        self.port = port
        self._nat_port_cfg = nat_port
        self.nat_port = None
        self.signing_key, self.licence_key = self._keys(key, sk)
        self.verify_key = self.signing_key.verify_key if self.signing_key else None
        self.public_key_b64 = rp.b64(self.verify_key) if self.verify_key else None
        self.relay_servers = list(relay_servers)
        self.force_punch, self.force_relay = force_punch, force_relay
        self.always_use_relay = always_use_relay
        self.punch_hole_extra = dict(punch_hole_extra or {})
        self.drop_udp = drop_udp
        self.reg_timeout, self.reg_pk_window, self.reg_pk_limit = reg_timeout, reg_pk_window, reg_pk_limit
        self.ip_window, self.ip_limit, self.ip_id_limit = ip_window, ip_limit, ip_id_limit
        self.tcp_read_timeout = tcp_read_timeout
        self.serial, self.rendezvous_servers = serial, list(rendezvous_servers)
        if tcp_mode not in ("oss", "pro"):
            raise ValueError("tcp_mode must be 'oss' or 'pro'")
        self.tcp_mode, self.keep_alive = tcp_mode, keep_alive
        self.heartbeat_interval, self.heartbeat_raw = heartbeat_interval, heartbeat_raw
        self.ignore_loopback_ip_change = ignore_loopback_ip_change
        self.max_frame = max_frame
        self.box_key = nacl.public.PrivateKey.generate()
        self.reg = Registry(self, db_path)
        self._peers = self.reg.peers
        self.log = rp.EventLog(event_sink)
        self._tcp_punch = {}        # client addr -> Conn waiting for an answer
        self._conns = set()
        self._rotation = 0
        self._lt = None
        self._servers = []
        self._udp = None
        self._socks = None

    # ----------------------------------------------------------- set-up
    @staticmethod
    def _keys(key, sk):
        """(signing_key or None, enforced licence string) as hbbs derives
        them from -k (srv: get_server_sk); `sk` overrides the signing key."""
        signing = rp.signing_key_from(sk) if sk is not None else None
        if key in (None, "-", "_", ""):
            signing = signing or nacl.signing.SigningKey.generate()
            return signing, ("" if key == "" else rp.b64(signing.verify_key))
        try:
            raw = base64.b64decode(key, validate=True)
        except ValueError:
            raw = b""
        if len(raw) == 64:
            signing = signing or rp.signing_key_from(raw)
            return signing, rp.b64(raw[32:])
        # a literal licence string: upstream then has no signing key at all
        return signing, key

    def _bind(self):
        """Binds UDP+TCP on `port` and TCP on the NAT port (port-1)."""
        fam = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        for _ in range(100):
            socks = []
            try:
                t = _listen_socket(fam)
                socks.append(t)
                t.bind((self.host, self.port))
                port = t.getsockname()[1]
                u = socket.socket(fam, socket.SOCK_DGRAM)
                socks.append(u)
                u.bind((self.host, port))
                nat = None
                natp = port - 1 if self._nat_port_cfg is None else self._nat_port_cfg
                if natp:
                    nat = _listen_socket(fam)
                    socks.append(nat)
                    nat.bind((self.host, natp))
                ws = None
                if self.ws:
                    ws = _listen_socket(fam)
                    socks.append(ws)
                    ws.bind((self.host, port + 2))
                for s in (t, nat, ws):
                    if s is not None:
                        s.listen(128)
                        s.setblocking(False)
                u.setblocking(False)
                self.port = port
                self.nat_port = natp or None
                self.ws_port = port + 2 if ws is not None else None
                return t, u, nat, ws
            except OSError:
                for s in socks:
                    s.close()
                if self.port:
                    raise
        raise OSError("could not find a free port pair")

    def start(self):
        """Binds (same ports again after a stop()) and starts serving."""
        if self._lt is not None:
            return self
        tcp, udp, nat, ws = self._bind()
        self._lt = rp.LoopThread(f"hbbs-{self.port}")
        self._lt.call(self._astart, tcp, udp, nat, ws)
        self.log.add(rp.Event("info", "tcp", "start", (self.host, self.port)))
        log.info("rendezvous on %s:%d (nat %s) key %s", self.host, self.port,
                 self.nat_port, self.public_key_b64)
        return self

    async def _astart(self, tcp, udp, nat, ws):
        loop = asyncio.get_running_loop()
        self._udp, _ = await loop.create_datagram_endpoint(lambda: _Udp(self), sock=udp)
        self._servers = [await asyncio.start_server(
            lambda r, w: self._serve(r, w, "tcp"), sock=tcp)]
        if nat is not None:
            self._servers.append(await asyncio.start_server(
                lambda r, w: self._serve(r, w, "nat"), sock=nat))
        if ws is not None:
            self._servers.append(await asyncio.start_server(self._serve_ws, sock=ws))
        if self.heartbeat_interval:
            self._hb_task = loop.create_task(self._heartbeats())

    def stop(self, forget_db=False):
        """Like killing hbbs: closes every socket and forgets everything in
        memory (peers, limiters, waiting clients).  The ID table (DB)
        survives unless forget_db."""
        if self._lt is None:
            return
        try:
            self._lt.call(self._astop)
        finally:
            self._lt.stop()
            self._lt = None
        self.reg.forget_memory()
        self._tcp_punch.clear()
        if forget_db:
            self.reg.db.clear()
        self.log.add(rp.Event("info", "tcp", "stop", (self.host, self.port)))

    async def _astop(self):
        for s in self._servers:
            s.close()
        if self._udp is not None:
            self._udp.close()
        for c in list(self._conns):
            c.close()
        for s in self._servers:
            try:
                await asyncio.wait_for(s.wait_closed(), 2)
            except (asyncio.TimeoutError, Exception):
                pass
        self._servers = []

    def restart(self):
        self.stop()
        return self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def addr(self):
        return (self.host, self.port)

    # ------------------------------------------------------- test hooks
    def _call(self, fn, *args):
        if self._lt is None:
            return fn(*args)
        return self._lt.call(fn, *args)

    def force_register_pk_result(self, result, count=1):
        """The next `count` valid RegisterPk get `result` (name or number)
        without any state change."""
        r = RESULTS[result] if isinstance(result, str) else int(result)
        self._call(lambda: self.reg.forced.extend([r] * count))

    def registered(self, id_):
        """True if id_ has a pk and registered (or holds a TCP-mode
        connection) within reg_timeout, i.e. a client would not get OFFLINE."""
        def f():
            p = self._peers.get(id_)
            return bool(p and p.pk and p.info(self.reg_timeout)["online"])
        return self._call(f)

    def last_register_time(self, id_):
        """time.monotonic() of the last accepted registration, or None."""
        return self._call(lambda: getattr(self._peers.get(id_), "last_reg_time", None))

    def peer_info(self, id_):
        """dict(uuid, pk, ip, socket_addr, last_reg_time, online, tcp) of the
        in-memory record, or None."""
        return self._call(lambda: self._peers[id_].info(self.reg_timeout)
                          if id_ in self._peers else None)

    def known(self, id_):
        """True if the persistent ID table binds id_ (survives stop())."""
        return self._call(lambda: self.reg.db.get(id_) is not None)

    def expire(self, id_):
        """Marks id_ offline as if its last registration were long ago."""
        def f():
            if id_ in self._peers:
                self._peers[id_].last_reg_time = None
        self._call(f)

    def push(self, id_, kind, **fields):
        """Sends an arbitrary RendezvousMessage to a registered host the way
        hbbs pushes (UDP, or its TCP-mode connection).  Returns False if the
        ID has no known address."""
        payload = rp.rmsg(kind, **fields)
        return self._call(lambda: self._push(self._peers.get(id_), payload, kind))

    def push_raw(self, id_, data):
        """Sends raw bytes (e.g. garbage) from the server's UDP socket to a
        registered host's address.  Returns False if the ID is unknown."""
        def f():
            peer = self._peers.get(id_)
            if peer is None or self._udp is None or peer.socket_addr is None:
                return False
            self._udp.sendto(bytes(data), peer.socket_addr)
            return True
        return self._call(f)

    def wait_for(self, kind=None, timeout=5.0, **kw):
        """Blocks until an event matches (see rdproto.EventLog.wait)."""
        return self.log.wait(kind, timeout, **kw)

    def events(self, kind=None, **kw):
        return self.log.query(kind, **kw)

    def wait_registered(self, id_, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.registered(id_):
                return True
            time.sleep(0.02)
        raise TimeoutError(f"{id_} not registered within {timeout}s")

    # ---------------------------------------------------------- helpers
    def _ev(self, direction, transport, kind, addr, msg=None, raw=b"", note=""):
        if msg is not None:
            c = type(msg)()
            c.CopyFrom(msg)
            msg = c
        return self.log.add(rp.Event(direction, transport, kind, addr, msg, raw, note))

    def _send_udp(self, addr, payload, kind, note=""):
        if self.drop_udp or self._udp is None or addr is None:
            self._ev("out", "udp", kind, addr, rp.parse_rmsg(payload)[1], payload,
                     "not sent (udp dropped)" if self.drop_udp else "not sent")
            return False
        self._udp.sendto(payload, addr)
        self._ev("out", "udp", kind, addr, rp.parse_rmsg(payload)[1], payload, note)
        return True

    def _send_conn(self, conn, payload, kind, note=""):
        ok = conn is not None and conn.send(payload)
        self._ev("out", conn.listener if conn else "tcp", kind,
                 conn.addr if conn else None, rp.parse_rmsg(payload)[1] if payload else None,
                 payload, note if ok else (note + " not sent").strip())
        return ok

    def _push(self, peer, payload, kind):
        if peer is None:
            return False
        if peer.tcp_conn is not None and not peer.tcp_conn.closed:
            return self._send_conn(peer.tcp_conn, payload, kind, "push")
        return self._send_udp(peer.socket_addr, payload, kind, "push")

    def _relay_server(self):
        if not self.relay_servers:
            return ""
        r = self.relay_servers[self._rotation % len(self.relay_servers)]
        self._rotation += 1
        return r

    def _get_pk(self, version, id_):
        """Signed IdPk for hbbs' replies: empty unless version is set and
        the ID is known (§5.2)."""
        if not version or self.signing_key is None:
            return b""
        p = self.reg.get(id_)
        if p is None:
            return b""
        return rp.sign_id_pk(self.signing_key, id_, p.pk)

    # ------------------------------------------------------------- UDP
    def _on_udp(self, data, addr):
        try:
            kind, msg = rp.parse_rmsg(data)
        except rp.ProtoError as e:
            self._ev("in", "udp", "garbage", addr, None, data, str(e))
            return
        if self.drop_udp:
            self._ev("in", "udp", kind or "empty", addr, msg, data, "dropped")
            return
        self._ev("in", "udp", kind or "empty", addr, msg, data)
        if kind == "register_peer":
            if msg.id:
                self._register_peer(msg, addr)
        elif kind == "register_pk":
            res = self.reg.register_pk(msg, addr)
            if res is None:
                self._ev("info", "udp", "register_pk", addr, note="ignored: empty uuid/pk")
            else:
                self._send_udp(addr, rp.rmsg("register_pk_response", result=res),
                               "register_pk_response")
        elif kind == "configure_update":
            if ipaddress.ip_address(addr[0]).is_loopback and msg.serial > self.serial:
                self.serial = msg.serial
                self.rendezvous_servers = [s for s in msg.rendezvous_servers if s]
        else:
            # PunchHoleRequest/PunchHoleSent/LocalAddr over UDP are ignored by
            # current OSS hbbs (anti-reflection); so is everything else.
            self.log.add(rp.Event("info", "udp", kind or "empty", addr, note="ignored"))

    def _register_peer(self, msg, addr, conn=None):
        request_pk = self.reg.register_peer(msg.id, addr, conn)
        send = (lambda pl, k: self._send_conn(conn, pl, k)) if conn else \
            (lambda pl, k: self._send_udp(addr, pl, k))
        send(rp.rmsg("register_peer_response", request_pk=request_pk),
             "register_peer_response")
        if self.serial > msg.serial:
            send(rp.rmsg("configure_update", serial=self.serial,
                         rendezvous_servers=self.rendezvous_servers), "configure_update")


# ------------------------------------------------------------------ CLI
def _control(rs, line):
    """stdin commands: set <attr> <json>, force-rk <RESULT> [n], push <id>
    <kind> <json-fields>, restart, stop, start, peer <id>, quit."""
    a = line.split(None, 2)
    if not a:
        return None
    cmd = a[0]
    if cmd == "set":
        setattr(rs, a[1], json.loads(a[2]))
    elif cmd == "force-rk":
        rest = a[1:] if len(a) < 3 else [a[1]] + a[2].split()
        rs.force_register_pk_result(rest[0], int(rest[1]) if len(rest) > 1 else 1)
    elif cmd == "push":
        id_, rest = a[1], a[2].split(None, 1)
        fields = json.loads(rest[1]) if len(rest) > 1 else {}
        for k in ("socket_addr", "local_addr", "socket_addr_v6"):
            if k in fields:
                fields[k] = base64.b64decode(fields[k])
        return {"pushed": rs.push(id_, rest[0], **fields)}
    elif cmd in ("restart", "stop", "start"):
        getattr(rs, cmd)()
    elif cmd == "peer":
        i = rs.peer_info(a[1])
        if i:
            i = {k: (rp.b64(v) if isinstance(v, bytes) else v) for k, v in i.items()}
        return {"peer": i}
    elif cmd == "quit":
        raise SystemExit(0)
    else:
        return {"error": f"unknown command {cmd}"}
    return {"ok": cmd}


def main(argv=None):
    ap = argparse.ArgumentParser(description="hbbs-like test rendezvous server")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free pair")
    ap.add_argument("--nat-port", type=int, default=None, help="default port-1; 0 = off")
    ap.add_argument("--key", default=None, help="'-' generate (default), '' no check, "
                    "base64 sk, or a literal licence string")
    ap.add_argument("--sk", default=None, help="base64 32/64-byte secret key to sign with")
    ap.add_argument("--relay", action="append", default=[], help="relay server host:port")
    ap.add_argument("--force-punch", action="store_true")
    ap.add_argument("--force-relay", action="store_true")
    ap.add_argument("--always-use-relay", action="store_true")
    ap.add_argument("--drop-udp", action="store_true")
    ap.add_argument("--reg-timeout", type=float, default=30.0)
    ap.add_argument("--reg-pk-window", type=float, default=6.0)
    ap.add_argument("--reg-pk-limit", type=int, default=2)
    ap.add_argument("--ip-limit", type=int, default=30)
    ap.add_argument("--serial", type=int, default=0)
    ap.add_argument("--tcp-mode", choices=("oss", "pro"), default="oss")
    ap.add_argument("--keep-alive", type=int, default=0)
    ap.add_argument("--heartbeat", type=float, default=None)
    ap.add_argument("--db", default=None, help="sqlite file for the ID table")
    ap.add_argument("--events", action="store_true", help="print events as JSON lines")
    ap.add_argument("--control", action="store_true", help="read commands from stdin")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if a.verbose else logging.WARNING,
                        stream=sys.stderr, format="%(name)s: %(message)s")

    def emit(d):
        sys.stdout.write(json.dumps(d) + "\n")
        sys.stdout.flush()
    rs = RendezvousServer(
        a.host, a.port, a.key, sk=a.sk, nat_port=a.nat_port, relay_servers=a.relay,
        force_punch=a.force_punch, force_relay=a.force_relay,
        always_use_relay=a.always_use_relay, drop_udp=a.drop_udp,
        reg_timeout=a.reg_timeout, reg_pk_window=a.reg_pk_window,
        reg_pk_limit=a.reg_pk_limit, ip_limit=a.ip_limit, serial=a.serial,
        tcp_mode=a.tcp_mode, keep_alive=a.keep_alive, heartbeat_interval=a.heartbeat,
        db_path=a.db, event_sink=(lambda ev: emit({"event": ev.to_json()})) if a.events else None)
    rs.start()
    emit({"ready": True, "host": rs.host, "port": rs.port, "nat_port": rs.nat_port,
          "key": rs.public_key_b64, "licence_key": rs.licence_key,
          "sk": rp.b64(rp.libsodium_sk(rs.signing_key))})
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    try:
        if a.control:
            for line in sys.stdin:
                try:
                    r = _control(rs, line.strip())
                except SystemExit:
                    break
                except Exception as e:
                    r = {"error": str(e)}
                if r is not None:
                    emit(r)
                if stop:
                    break
        else:
            while not stop:
                time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        rs.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
