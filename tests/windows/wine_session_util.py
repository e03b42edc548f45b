# SPDX-License-Identifier: MIT
"""Helpers of the wine tests that drive a Windows program's sessions."""
import os
import queue
import subprocess
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


class Tally:
    """A test's checks that go on after a failure: ok/FAIL lines, then the
    failures counted at the end (report() is the exit code)."""

    def __init__(self):
        self.failures = []

    def check(self, what, ok, detail=""):
        print(("ok   " if ok else "FAIL ") + what +
              ("" if ok else ": " + detail))
        if not ok:
            self.failures.append(what)

    def report(self):
        if self.failures:
            print("%d failed: %s" % (len(self.failures),
                                     ", ".join(self.failures)))
            return 1
        print("all passed")
        return 0


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


def file_transfer_checks(c, share, local, log):
    """Through a logged-in file-transfer client c whose one root is the
    folder share: the roots listed, a file downloaded and one uploaded
    (the same bytes on both sides), paths out of the root refused."""
    import client
    with open(os.path.join(share, "a.txt"), "wb") as f:
        f.write(b"hello from the host\n" * 1000)
    top = [e.name for e in c.read_dir("/").entries]
    check(top == [os.path.basename(share)], f"roots listed: {top}", log)
    root = "/" + os.path.basename(share)
    names = sorted(e.name for e in c.read_dir(root).entries)
    check("a.txt" in names, f"{root} listed: {names}", log)
    got = os.path.join(local, "a.txt")
    d = c.download(root + "/a.txt", got)
    with open(got, "rb") as f:
        data = f.read()
    check(d.done and data == b"hello from the host\n" * 1000,
          f"downloaded {root}/a.txt: {len(data)} bytes", log)
    src = os.path.join(local, "up.bin")
    with open(src, "wb") as f:
        f.write(os.urandom(300000))
    u = c.upload(src, root + "/up.bin")
    with open(src, "rb") as f1, open(os.path.join(share, "up.bin"),
                                     "rb") as f2:
        same = f1.read() == f2.read()
    check(u.done and same, f"uploaded {root}/up.bin: 300000 bytes, the "
          f"same on the host", log)
    for bad in (root + "/../..", root + "/..\\..", "/etc", "C:\\windows"):
        try:
            c.read_dir(bad)
            refused = False
        except client.FileError:
            refused = True
        check(refused, f"listing {bad!r} refused", log)


# The consent window (consent-prompt.h): wine maps its client area to one
# X window named by the title (no window manager frames it here).
CONSENT_TITLE = "Outpost: remote access request"
CONSENT_W, CONSENT_H = 460, 236          # CONSENT_WIN_W/H
CONSENT_BTN_W, CONSENT_BTN_H = 110, 30
CONSENT_BTN_Y = CONSENT_H - 14 - CONSENT_BTN_H
CONSENT_BTN_X = {"deny": CONSENT_W // 2 - 16 - CONSENT_BTN_W,
                 "allow": CONSENT_W // 2 + 16}
CONSENT_ARM_S = 0.5                      # CONSENT_ARM_MS


def xdo(*args):
    return subprocess.run(["xdotool"] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=20)


def consent_window():
    """The visible consent window: (X window id, x, y, w, h), or None."""
    p = xdo("search", "--onlyvisible", "--name", "^" + CONSENT_TITLE + "$")
    ids = p.stdout.split()
    if not ids:
        return None
    p = xdo("getwindowgeometry", "--shell", ids[0])
    g = dict(s.split("=", 1) for s in p.stdout.split() if "=" in s)
    try:
        return (ids[0], int(g["X"]), int(g["Y"]), int(g["WIDTH"]),
                int(g["HEIGHT"]))
    except (KeyError, ValueError):
        return None  # gone between the two calls


def consent_click(button, timeout=60):
    """Waits for the consent window, lets it arm, then clicks button
    ("allow" or "deny") with real X input. Returns the seconds the window
    took to appear, or None when it did not."""
    start = time.monotonic()
    while (w := consent_window()) is None:
        if time.monotonic() - start > timeout:
            return None
        time.sleep(0.05)
    seen = time.monotonic() - start
    time.sleep(CONSENT_ARM_S + 0.5)
    _, x, y, _, _ = w
    xdo("mousemove", "--sync", x + CONSENT_BTN_X[button] + CONSENT_BTN_W // 2,
        y + CONSENT_BTN_Y + CONSENT_BTN_H // 2)
    xdo("click", "1")
    return seen


def consent_gone(timeout=20):
    """True once no consent window is visible."""
    end = time.monotonic() + timeout
    while consent_window() is not None:
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True
