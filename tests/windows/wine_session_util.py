# SPDX-License-Identifier: MIT
"""Helpers of the wine tests that drive a Windows program's sessions."""
import os
import queue
import sys
import threading
import time


def winpath(p):
    """A Linux path as wine's Z: drive names it."""
    return "Z:" + p.replace("/", "\\")


class Lines:
    """A program's output read line by line in a thread, kept for logs."""

    def __init__(self, f):
        self.q = queue.Queue()
        self.all = []
        threading.Thread(target=self._read, args=(f,), daemon=True).start()

    def _read(self, f):
        for raw in f:
            s = raw.decode(errors="replace").rstrip("\r\n")
            self.all.append(s)
            self.q.put(s)

    def expect(self, pred, timeout, log):
        """The next line that pred accepts, else AssertionError with log()."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("no expected line; log:\n" + log())
            try:
                s = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if pred(s):
                return s

    def tail(self, n):
        return "\n".join(self.all[-n:])


def check(cond, what, log):
    """Prints ok, or fails with what and log()."""
    if not cond:
        raise AssertionError(what + "\nlog:\n" + log())
    print("ok:", what.split("\n")[0])


# Direct IP has no key exchange: each starts after the Hash (plaintext).
HOSTILE = ("garbage", "oversize", "input-before-login")


def hostile(port, password, log):
    """Each hostile client loses its connection; the host keeps serving."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(
        __file__)), "..", "peers"))
    import client
    for name in HOSTILE:
        c = client.Client(("127.0.0.1", port), direct=True, timeout=20)
        try:
            if name == "garbage":
                c.handshake()
                c.wait_hash()
                c.send_garbage(64)
                after = c.wait_closed(25)
                r = {"closed": after is not None, "closed_after": after}
            else:
                r = c.misbehave(name, password=password, wait=25)
        finally:
            c.close()
        check(r.get("closed"), f"hostile '{name}': connection closed after "
              f"{r.get('closed_after')} s ({r})", log)
