# SPDX-License-Identifier: MIT
"""A slow link for tests: a TCP proxy that forwards one direction at a
limited rate (a token bucket) with a fixed one-way delay each way, and a
small socket buffer toward the sender so a full link pushes back on it
instead of queueing megabytes in the kernel.

    t = Throttle(("127.0.0.1", agent_port), down_kbps=2000, delay_ms=20)
    t.start(); client connects to ("127.0.0.1", t.port)
    t.down_kbps = None      # lift the limit while running
    t.stop()

"down" is upstream -> client (the host's video); "up" is never limited.
Threads, no asyncio: one pair of pumps per accepted connection.
"""
import queue
import socket
import threading
import time

CHUNK = 4096
RCVBUF = 32 * 1024


class Throttle:
    def __init__(self, upstream, down_kbps=2000, delay_ms=20, burst_ms=20):
        self.upstream = upstream
        self.down_kbps = down_kbps
        self.delay_ms = delay_ms
        self.burst_ms = burst_ms
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(4)
        self.port = self.ls.getsockname()[1]
        self.stopped = False
        self.socks = []
        self.down_bytes = 0

    def start(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self):
        self.stopped = True
        for s in [self.ls] + self.socks:
            try:
                s.close()
            except OSError:
                pass

    def _accept(self):
        while not self.stopped:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            u = socket.socket()
            u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
            try:
                u.connect(self.upstream)
            except OSError:
                c.close()
                continue
            for s in (c, u):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.socks += [c, u]
            threading.Thread(target=self._pump, args=(u, c, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(c, u, False), daemon=True).start()

    def _pump(self, src, dst, down):
        """Reads only as fast as the link sends (so the sender's socket
        fills up behind it); a second thread sends each chunk delay_ms
        after it was read."""
        q = queue.Queue()
        threading.Thread(target=self._deliver, args=(q, src, dst, down),
                         daemon=True).start()
        tokens = 0.0
        last = time.monotonic()
        while not self.stopped:
            try:
                data = src.recv(CHUNK)
            except OSError:
                break
            if not data:
                break
            kbps = self.down_kbps if down else None
            if kbps:
                while True:
                    now = time.monotonic()
                    tokens = min(tokens + (now - last) * kbps * 1000 / 8,
                                 kbps * self.burst_ms / 8)
                    last = now
                    if tokens >= len(data):
                        tokens -= len(data)
                        break
                    time.sleep((len(data) - tokens) * 8 / (kbps * 1000))
            else:
                last = time.monotonic()
            q.put((time.monotonic(), data))
        q.put((0, None))

    def _deliver(self, q, src, dst, down):
        while True:
            t, data = q.get()
            if data is None:
                break
            wait = t + self.delay_ms / 1000 - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                dst.sendall(data)
            except OSError:
                break
            if down:
                self.down_bytes += len(data)
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
