# SPDX-License-Identifier: MIT
"""A test relay that behaves like OSS hbbr 1.1.x (§4.6 of the protocol
reference; rustdesk/rustdesk-server src/relay_server.rs make_pair_/relay):

  * the first frame (BytesCodec) must be RendezvousMessage{request_relay}
    and arrive within first_frame_timeout (30 s);
  * if the relay has a key, RequestRelay.licence_key must equal it; a
    mismatch, an empty uuid or anything else closes the connection silently
    (hbbr never answers anything);
  * the first arrival for a uuid is parked for park_timeout (30 s); the
    second arrival with the same uuid pairs with it;
  * paired streams become a raw byte pipe both ways (bytes either side sent
    after its RequestRelay frame are forwarded too); the pair is closed when
    either side closes or nothing moved for idle_timeout (30 s).

Library use:
    relay = RelayServer(key=rs.public_key_b64).start()
    ... relay.wait_paired(uuid) ... relay.pairings() ...
    relay.stop()
CLI: /usr/bin/python3 tests/peers/relay.py [--port N] [--key K] [--events]
prints {"ready": true, "port": N, ...} as one JSON line.
"""
import argparse
import asyncio
import json
import logging
import signal
import socket
import sys
import time

try:
    from . import rdproto as rp
    from . import wsock
except ImportError:
    import rdproto as rp
    import wsock

log = logging.getLogger("peers.relay")


class Pairing:
    """One paired uuid.  first/second: (addr, RequestRelay copy) in arrival
    order; a2b/b2a: bytes forwarded first->second / second->first;
    end_reason set when the pipe closed."""

    def __init__(self, uuid, first, second):
        self.uuid = uuid
        self.first, self.second = first, second
        self.t = time.monotonic()
        self.a2b = 0
        self.b2a = 0
        self.end_reason = None
        self.t_end = None

    def __repr__(self):
        return (f"Pairing({self.uuid} {self.first[0]}<->{self.second[0]} "
                f"a2b={self.a2b} b2a={self.b2a} end={self.end_reason})")


class _Parked:
    def __init__(self, reader, writer, addr, rr):
        self.reader, self.writer, self.addr, self.rr = reader, writer, addr, rr
        self.taken = asyncio.Event()
        self.done = asyncio.Event()


class RelayServer:
    """hbbr-like relay.  key None/'' = no licence check.  Knobs are plain
    attributes (tests may change them while running)."""

    def __init__(self, host="127.0.0.1", port=0, key=None, *, first_frame_timeout=30.0,
                 park_timeout=30.0, idle_timeout=30.0, max_frame=65536, event_sink=None,
                 ws=False):
        self.host, self.port, self.key = host, port, key or ""
        self.ws = ws
        self.ws_port = None
        self.first_frame_timeout = first_frame_timeout
        self.park_timeout = park_timeout
        self.idle_timeout = idle_timeout
        self.max_frame = max_frame
        self.log = rp.EventLog(event_sink)
        self._pairings = []
        self._waiting = {}
        self._writers = set()
        self._lt = None
        self._server = None
        self._ws_server = None

    # ------------------------------------------------------------ life
    def _listen(self, port):
        fam = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((self.host, port))
            s.listen(128)
            s.setblocking(False)
        except OSError:
            s.close()
            raise
        return s

    def _bind(self):
        """The TCP socket, and with ws the websocket one on port + 2."""
        for _ in range(50):
            s = self._listen(self.port)
            if not self.ws:
                return s, None
            try:
                return s, self._listen(s.getsockname()[1] + 2)
            except OSError:
                s.close()
                if self.port:
                    raise
        raise OSError("could not find a free port pair")

    def start(self):
        if self._lt is not None:
            return self
        s, w = self._bind()
        self.port = s.getsockname()[1]
        self.ws_port = w.getsockname()[1] if w is not None else None
        self._lt = rp.LoopThread(f"hbbr-{self.port}")
        self._lt.call(self._astart, s, w)
        self.log.add(rp.Event("info", "relay", "start", (self.host, self.port)))
        return self

    async def _astart(self, sock, ws_sock):
        self._server = await asyncio.start_server(self._serve, sock=sock)
        self._ws_server = None
        if ws_sock is not None:
            self._ws_server = await asyncio.start_server(self._serve_ws, sock=ws_sock)

    def stop(self):
        if self._lt is None:
            return
        try:
            self._lt.call(self._astop)
        finally:
            self._lt.stop()
            self._lt = None
            self._waiting.clear()
        self.log.add(rp.Event("info", "relay", "stop", (self.host, self.port)))

    async def _astop(self):
        self._server.close()
        if self._ws_server is not None:
            self._ws_server.close()
        for w in list(self._writers):
            w.close()
        try:
            await asyncio.wait_for(self._server.wait_closed(), 2)
        except (asyncio.TimeoutError, Exception):
            pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def addr(self):
        return (self.host, self.port)

    @property
    def ws_addr(self):
        return (self.host, self.ws_port)

    @property
    def address(self):
        """'host:port' as hbbs hands it out in relay_server."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    # ------------------------------------------------------- test hooks
    def pairings(self):
        return list(self._pairings)

    def parked(self):
        """uuids currently waiting for their partner."""
        return self._lt.call(lambda: list(self._waiting)) if self._lt else []

    def wait_paired(self, uuid=None, timeout=5.0):
        """Blocks until a pairing (for uuid, if given) exists; returns it."""
        ev = self.log.wait("pair", timeout, direction="info",
                           pred=(lambda e: e.note == uuid) if uuid else None)
        for p in self._pairings:
            if p.uuid == ev.note:
                return p
        raise AssertionError("pair event without a pairing")

    def wait_for(self, kind=None, timeout=5.0, **kw):
        return self.log.wait(kind, timeout, **kw)

    def events(self, kind=None, **kw):
        return self.log.query(kind, **kw)

    # ---------------------------------------------------------- serving
    def _ev(self, direction, kind, addr, msg=None, raw=b"", note=""):
        return self.log.add(rp.Event(direction, "relay", kind, addr, msg, raw, note))

    def _reject(self, writer, addr, why, msg=None, raw=b""):
        self._ev("info", "reject", addr, msg, raw, why)
        log.debug("relay: drop %s: %s", addr, why)
        writer.close()

    async def _serve_ws(self, reader, writer):
        try:
            addr = rp.norm_addr(writer.get_extra_info("peername")[:2])
            reader, writer = await wsock.ws_accept(reader, writer)
        except (wsock.WsError, asyncio.TimeoutError, asyncio.IncompleteReadError,
                TypeError, ConnectionError, OSError) as e:
            self._ev("info", "reject", None, note=f"websocket upgrade: {e!r}")
            writer.close()
            return
        self._ev("info", "websocket", addr)
        await self._serve(reader, writer, addr)

    async def _serve(self, reader, writer, addr=None):
        if addr is None:
            try:
                addr = rp.norm_addr(writer.get_extra_info("peername")[:2])
            except (TypeError, OSError):    # reset before we could ask the peer name
                writer.close()
                return
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._writers.add(writer)
        self._ev("in", "connect", addr)
        try:
            await self._serve2(reader, writer, addr)
        except Exception as e:  # keep serving whatever happened
            self._ev("info", "error", addr, note=repr(e))
            writer.close()
        finally:
            self._writers.discard(writer)

    async def _serve2(self, reader, writer, addr):
        try:
            payload = await asyncio.wait_for(
                rp.read_frame_async(reader, self.max_frame), self.first_frame_timeout)
        except asyncio.TimeoutError:
            return self._reject(writer, addr, "no first frame in time")
        except (rp.ProtoError, asyncio.IncompleteReadError, ConnectionError, OSError) as e:
            return self._reject(writer, addr, f"bad first frame: {e}")
        if payload is None:
            return self._reject(writer, addr, "closed before first frame")
        try:
            kind, rr = rp.parse_rmsg(payload)
        except rp.ProtoError as e:
            return self._reject(writer, addr, str(e), raw=payload)
        if kind != "request_relay":
            return self._reject(writer, addr, f"first frame is {kind}, not request_relay",
                                raw=payload)
        self._ev("in", "request_relay", addr, _copy(rr), payload)
        if self.key and rr.licence_key != self.key:
            return self._reject(writer, addr, "licence_key mismatch", _copy(rr))
        if not rr.uuid:
            return self._reject(writer, addr, "empty uuid", _copy(rr))
        partner = self._waiting.pop(rr.uuid, None)
        if partner is None:
            me = _Parked(reader, writer, addr, _copy(rr))
            self._waiting[rr.uuid] = me
            self._ev("info", "park", addr, note=rr.uuid)
            try:
                await asyncio.wait_for(me.taken.wait(), self.park_timeout)
            except asyncio.TimeoutError:
                if self._waiting.get(rr.uuid) is me:
                    del self._waiting[rr.uuid]
                return self._reject(writer, addr, f"no partner for {rr.uuid} in time")
            await me.done.wait()        # the second arrival runs the pipe
            return None
        partner.taken.set()
        pairing = Pairing(rr.uuid, (partner.addr, partner.rr), (addr, _copy(rr)))
        self._pairings.append(pairing)
        self._ev("info", "pair", addr, note=rr.uuid)
        try:
            await self._pipe(pairing, partner.reader, partner.writer, reader, writer)
        finally:
            partner.done.set()
        return None

    async def _pipe(self, pairing, ra, wa, rb, wb):
        last = [time.monotonic()]

        async def copy(r, w, attr):
            while True:
                data = await r.read(65536)
                if not data:
                    return "eof"
                last[0] = time.monotonic()
                setattr(pairing, attr, getattr(pairing, attr) + len(data))
                w.write(data)
                await w.drain()

        async def idle():
            tick = max(0.05, min(3.0, self.idle_timeout / 4))
            while True:
                await asyncio.sleep(tick)
                if time.monotonic() - last[0] > self.idle_timeout:
                    return "idle timeout"

        tasks = [asyncio.ensure_future(copy(ra, wb, "a2b")),
                 asyncio.ensure_future(copy(rb, wa, "b2a")),
                 asyncio.ensure_future(idle())]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        t = done.pop()
        reason = repr(t.exception()) if t.exception() else t.result()
        pairing.end_reason, pairing.t_end = reason, time.monotonic()
        for w in (wa, wb):
            try:
                w.close()
            except Exception:
                pass
        self._ev("info", "unpair", None, note=f"{pairing.uuid} {reason}")


def _copy(m):
    c = type(m)()
    c.CopyFrom(m)
    return c


def main(argv=None):
    ap = argparse.ArgumentParser(description="hbbr-like test relay")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--key", default="", help="licence key to enforce ('' = none)")
    ap.add_argument("--first-frame-timeout", type=float, default=30.0)
    ap.add_argument("--park-timeout", type=float, default=30.0)
    ap.add_argument("--idle-timeout", type=float, default=30.0)
    ap.add_argument("--events", action="store_true", help="print events as JSON lines")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if a.verbose else logging.WARNING,
                        stream=sys.stderr, format="%(name)s: %(message)s")

    def emit(d):
        sys.stdout.write(json.dumps(d) + "\n")
        sys.stdout.flush()
    relay = RelayServer(a.host, a.port, a.key, first_frame_timeout=a.first_frame_timeout,
                        park_timeout=a.park_timeout, idle_timeout=a.idle_timeout,
                        event_sink=(lambda ev: emit({"event": ev.to_json()})) if a.events else None)
    relay.start()
    emit({"ready": True, "host": relay.host, "port": relay.port, "key": relay.key})
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    try:
        while not stop:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        relay.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
