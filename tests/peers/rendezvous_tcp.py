# SPDX-License-Identifier: MIT
"""The TCP side of the test rendezvous server (rendezvous.py): one accepted
connection (Conn) and TcpMixin of RendezvousServer, i.e. the Pro-mode
KeyExchange on accept, the NAT-test port (TestNat/OnlineRequest), the
client-facing PunchHoleRequest/RequestRelay coordination (hbbs' tcp_punch
map, relayed answers from the host), TCP-mode registration and its
heartbeats.  It relies on the core server's _ev/_send_conn/_push/_get_pk/
_relay_server/_register_peer helpers and attributes."""
import asyncio
import time

import nacl.exceptions
import nacl.public

try:
    from . import rdproto as rp
    from . import wsock
    from .registry import RESULTS
except ImportError:
    import rdproto as rp
    import wsock
    from registry import RESULTS

pb = rp.pb


class Conn:
    """One accepted TCP connection."""

    def __init__(self, reader, writer, listener):
        self.reader, self.writer, self.listener = reader, writer, listener
        self.addr = rp.norm_addr(writer.get_extra_info("peername")[:2])
        self.codec = None           # SecretBoxCodec after a Pro KeyExchange
        self.hb_sent_at = None      # when we last sent/echoed a heartbeat
        self.sink_used = False      # hbbs takes the sink once per connection
        self.closed = False

    def send(self, payload):
        if self.closed or self.writer.is_closing():
            return False
        if self.codec is not None:
            payload = self.codec.seal(payload)
        try:
            self.writer.write(rp.encode_frame(payload))
        except (ConnectionError, RuntimeError, OSError):
            return False
        return True

    def close(self):
        if not self.closed:
            self.closed = True
            try:
                self.writer.close()
            except (ConnectionError, RuntimeError, OSError):
                pass


class TcpMixin:
    """TCP listeners, NAT test, punch/relay coordination and Pro-mode
    heartbeats of RendezvousServer."""

    async def _read(self, conn, timeout):
        """Next plaintext payload (None on EOF); runs the Pro KeyExchange
        transparently when the peer answers ours."""
        while True:
            payload = await asyncio.wait_for(
                rp.read_frame_async(conn.reader, self.max_frame), timeout)
            if payload is None:
                return None
            if conn.codec is not None:
                return conn.codec.open(payload)
            if self.tcp_mode == "pro" and payload:
                try:
                    kind, msg = rp.parse_rmsg(payload)
                except rp.ProtoError:
                    return payload
                if kind == "key_exchange" and len(msg.keys) == 2:
                    self._ev("in", conn.listener, "key_exchange", conn.addr, msg, payload)
                    try:
                        key = nacl.public.Box(self.box_key, nacl.public.PublicKey(
                            bytes(msg.keys[0]))).decrypt(bytes(msg.keys[1]), bytes(24))
                    except (nacl.exceptions.CryptoError, ValueError, TypeError) as e:
                        raise rp.ProtoError(f"key exchange failed: {e}") from None
                    if len(key) != 32:
                        raise rp.ProtoError("key exchange: symmetric key is not 32 bytes")
                    conn.codec = rp.SecretBoxCodec(key)
                    continue
            return payload

    async def _serve_ws(self, reader, writer):
        """hbbs' websocket port (TCP port + 2, 21118): the web client's
        PunchHoleRequest/RequestRelay, one message per websocket message."""
        try:
            reader, writer = await wsock.ws_accept(reader, writer)
        except (wsock.WsError, asyncio.TimeoutError, asyncio.IncompleteReadError,
                ConnectionError, OSError) as e:
            self._ev("info", "ws", "error", None, note=f"websocket upgrade: {e!r}")
            writer.close()
            return
        await self._serve(reader, writer, "ws")

    async def _serve(self, reader, writer, listener):
        try:
            conn = Conn(reader, writer, listener)
        except (TypeError, OSError):    # reset before we could ask the peer name
            writer.close()
            return
        self._conns.add(conn)
        self._ev("in", listener, "connect", conn.addr)
        if self.tcp_mode == "pro" and self.signing_key is not None:
            signed = bytes(self.signing_key.sign(bytes(self.box_key.public_key)))
            self._send_conn(conn, rp.rmsg("key_exchange", keys=[signed]), "key_exchange")
        try:
            while not conn.closed:
                timeout = self.tcp_read_timeout
                if listener == "tcp" and any(p.tcp_conn is conn for p in self._peers.values()):
                    # a TCP-mode registration lives as long as the host keeps
                    # it (or, with heartbeats, until 3 go unanswered)
                    timeout = 3 * self.heartbeat_interval if self.heartbeat_interval else None
                payload = await self._read(conn, timeout)
                if payload is None:
                    break
                if listener == "nat":
                    await self._handle_nat(conn, payload)
                    break
                if not self._handle_tcp(conn, payload):
                    break
                await writer.drain()
        except asyncio.TimeoutError:
            self._ev("info", listener, "timeout", conn.addr, note="read timeout")
        except (rp.ProtoError, asyncio.IncompleteReadError, ConnectionError, OSError) as e:
            self._ev("info", listener, "error", conn.addr, note=str(e))
        finally:
            try:
                await asyncio.wait_for(writer.drain(), 1)
            except Exception:
                pass
            conn.close()
            self._conns.discard(conn)
            if self._tcp_punch.get(conn.addr) is conn:
                del self._tcp_punch[conn.addr]
            for p in self._peers.values():
                if p.tcp_conn is conn:
                    p.tcp_conn = None
                    p.last_reg_time = None      # TCP-mode peer: offline now
            self._ev("info", listener, "close", conn.addr)

    async def _handle_nat(self, conn, payload):
        try:
            kind, msg = rp.parse_rmsg(payload)
        except rp.ProtoError as e:
            self._ev("in", "nat", "garbage", conn.addr, None, payload, str(e))
            return
        self._ev("in", "nat", kind or "empty", conn.addr, msg, payload)
        if kind == "test_nat_request":
            self._send_conn(conn, rp.rmsg("test_nat_response", port=conn.addr[1]),
                            "test_nat_response")
        elif kind == "online_request":
            states = bytearray((len(msg.peers) + 7) // 8)
            for i, pid in enumerate(msg.peers):
                p = self._peers.get(pid)
                if p is not None and p.last_reg_time is not None and \
                        time.monotonic() - p.last_reg_time < self.reg_timeout:
                    states[i // 8] |= 1 << (7 - i % 8)
            self._send_conn(conn, rp.rmsg("online_response", states=bytes(states)),
                            "online_response")
        await conn.writer.drain()

    def _send_to_waiting(self, addr, payload, kind):
        """Answers the client whose PunchHoleRequest/RequestRelay came from
        addr (hbbs' tcp_punch map); the entry is used up."""
        conn = self._tcp_punch.pop(rp.norm_addr(addr), None)
        if conn is None:
            self._ev("out", "tcp", kind, addr, rp.parse_rmsg(payload)[1], payload,
                     "not sent: no waiting client")
            return False
        return self._send_conn(conn, payload, kind, "to client")

    def _take_sink(self, conn):
        if not conn.sink_used:
            conn.sink_used = True
            self._tcp_punch[conn.addr] = conn

    def _handle_tcp(self, conn, payload):
        """One frame on the main TCP port; False closes the connection (hbbs
        keeps only PunchHoleRequest/RequestRelay connections open)."""
        if not payload:
            if self.tcp_mode == "pro":
                now = time.monotonic()
                if conn.hb_sent_at is not None and now - conn.hb_sent_at < 2.0:
                    conn.hb_sent_at = None      # the echo of ours
                    self._ev("in", "tcp", "heartbeat", conn.addr, note="echo")
                else:                           # peer-initiated: echo it
                    self._ev("in", "tcp", "heartbeat", conn.addr)
                    self._send_heartbeat(conn)
                for p in self._peers.values():
                    if p.tcp_conn is conn:
                        p.last_reg_time = time.monotonic()
                return True
            self._ev("in", "tcp", "empty", conn.addr, note="closing (OSS)")
            return False
        try:
            kind, msg = rp.parse_rmsg(payload)
        except rp.ProtoError as e:
            self._ev("in", "tcp", "garbage", conn.addr, None, payload, str(e))
            return False
        self._ev("in", "tcp", kind or "empty", conn.addr, msg, payload)
        if kind == "punch_hole_request":
            self._take_sink(conn)
            out_kind, out, peer = self._punch_request(conn.addr, msg,
                                                      ws=conn.listener == "ws")
            if peer is not None:
                self._push(peer, out, out_kind)
            else:
                self._send_to_waiting(conn.addr, out, out_kind)
            return True
        if kind == "request_relay":
            self._take_sink(conn)
            p = self._peers.get(msg.id)
            if p is not None:
                msg.socket_addr = rp.addr_encode(*conn.addr)
                self._push(p, rp.wrap("request_relay", msg), "request_relay")
            return True
        if kind == "relay_response":
            addr_b = rp.addr_decode(msg.socket_addr)
            msg.socket_addr = b""
            if msg.WhichOneof("union") == "id" and msg.id:
                msg.pk = self._get_pk(msg.version, msg.id)
            self._send_to_waiting(addr_b, rp.wrap("relay_response", msg), "relay_response")
            return False
        if kind == "punch_hole_sent":
            out = pb.PunchHoleResponse(socket_addr=rp.addr_encode(*conn.addr),
                                       pk=self._get_pk(msg.version, msg.id),
                                       relay_server=msg.relay_server)
            out.nat_type = msg.nat_type
            self._send_to_waiting(rp.addr_decode(msg.socket_addr),
                                  rp.wrap("punch_hole_response", out), "punch_hole_response")
            return False
        if kind == "local_addr":
            out = pb.PunchHoleResponse(socket_addr=msg.local_addr,
                                       pk=self._get_pk(msg.version, msg.id),
                                       relay_server=msg.relay_server)
            out.is_local = True
            self._send_to_waiting(rp.addr_decode(msg.socket_addr),
                                  rp.wrap("punch_hole_response", out), "punch_hole_response")
            return False
        if kind == "test_nat_request":
            res = pb.TestNatResponse(port=conn.addr[1])
            if self.serial > msg.serial:
                res.cu.serial = self.serial
                res.cu.rendezvous_servers.extend(self.rendezvous_servers)
            self._send_conn(conn, rp.wrap("test_nat_response", res), "test_nat_response")
            return False
        if kind == "register_pk":
            if self.tcp_mode != "pro":
                self._send_conn(conn, rp.rmsg("register_pk_response",
                                              result=RESULTS["NOT_SUPPORT"]),
                                "register_pk_response")
                return False
            res = self.reg.register_pk(msg, conn.addr, conn)
            if res is not None:
                self._send_conn(conn, rp.rmsg("register_pk_response", result=res,
                                              keep_alive=self.keep_alive),
                                "register_pk_response")
            return True
        if kind == "register_peer" and self.tcp_mode == "pro":
            if msg.id:
                self._register_peer(msg, conn.addr, conn)
            return True
        return False

    def _punch_request(self, addr, ph, ws=False):
        """(kind, payload, peer_or_None): the push for the host, or the
        failure PunchHoleResponse for the client (peer None).  A websocket
        client is never treated as on the host's LAN (hbbs: same_intranet
        = !ws && ...): it gets a PunchHole with its own nat_type, which the
        web client sets to SYMMETRIC, so the host starts a relay."""
        def fail(code):
            return ("punch_hole_response",
                    rp.rmsg("punch_hole_response", failure=code), None)
        if self.licence_key and ph.licence_key != self.licence_key:
            return fail(pb.PunchHoleResponse.LICENSE_MISMATCH)
        p = self.reg.get(ph.id)
        if p is None:
            return fail(pb.PunchHoleResponse.ID_NOT_EXIST)
        if not self.reg.online(p):
            return fail(pb.PunchHoleResponse.OFFLINE)
        relay = self._relay_server()
        nat_type = ph.nat_type
        if self.always_use_relay or self.force_relay:
            nat_type = rp.NAT_SYMMETRIC
        sa = p.socket_addr or ("0.0.0.0", 0)
        same_ip = (":" in sa[0]) == (":" in addr[0]) and sa[0] == addr[0]
        socket_addr = rp.addr_encode(*addr)
        if same_ip and not ws and not self.force_punch and not self.force_relay:
            return ("fetch_local_addr", rp.rmsg("fetch_local_addr", socket_addr=socket_addr,
                                                relay_server=relay), p)
        fields = dict(socket_addr=socket_addr, nat_type=nat_type, relay_server=relay)
        fields.update(self.punch_hole_extra)
        return ("punch_hole", rp.rmsg("punch_hole", **fields), p)

    def _send_heartbeat(self, conn):
        conn.hb_sent_at = time.monotonic()
        if self.heartbeat_raw and conn.codec is not None:
            try:
                conn.writer.write(rp.encode_frame(b""))
            except (ConnectionError, RuntimeError, OSError):
                pass
            self._ev("out", "tcp", "heartbeat", conn.addr, note="raw")
        else:
            conn.send(b"")
            self._ev("out", "tcp", "heartbeat", conn.addr)

    def send_heartbeat(self, id_):
        """Pro mode: sends one heartbeat on id_'s registration connection."""
        def f():
            p = self._peers.get(id_)
            if p is None or p.tcp_conn is None:
                return False
            self._send_heartbeat(p.tcp_conn)
            return True
        return self._call(f)

    def drop_tcp(self, id_):
        """Pro mode: closes id_'s registration connection."""
        def f():
            p = self._peers.get(id_)
            if p is not None and p.tcp_conn is not None:
                p.tcp_conn.close()
                p.tcp_conn, p.last_reg_time = None, None
        self._call(f)

    async def _heartbeats(self):
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            for p in list(self._peers.values()):
                if p.tcp_conn is not None and not p.tcp_conn.closed:
                    self._send_heartbeat(p.tcp_conn)
