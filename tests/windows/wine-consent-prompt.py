#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Win32 consent window (`outpost.exe consent-prompt`) under wine on
Xvfb, driven with real X input (xdotool).

Usage (under with-xvfb.py): wine-consent-prompt.py WINE OUTPOST.exe
INJECT.exe. Wine maps the window's client area to one X window named by
the title (no window manager runs, so nothing frames it): its position is
the client origin, checked against the button colours in an xwd picture.

Checks: the look (size, centred, header and button colours, the request's
fields drawn); a real click on Allow allows, on Deny denies; a click on
Allow in the first 500 ms is ignored; Escape, Alt+F4 and a WM_CLOSE from
another program deny; --timeout=2 times out in time; the --stdin request
(and bad or oversized ones refused); a click on Allow that another
program injects with SendInput, or posts as window messages, does not
allow, while an injected click on Deny denies (so the injection does
land); hostile fields (long, control characters) do not break it.
"""
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "integration")]
import video_util  # noqa: E402
import winerun  # noqa: E402
from wine_session_util import (CONSENT_ARM_S as ARM_S,  # noqa: E402
                               CONSENT_BTN_H as BTN_H,
                               CONSENT_BTN_W as BTN_W,
                               CONSENT_BTN_X, CONSENT_BTN_Y as BTN_Y,
                               CONSENT_H as WIN_H, CONSENT_W as WIN_W,
                               consent_window, xdo)

DENY_X, ALLOW_X = CONSENT_BTN_X["deny"], CONSENT_BTN_X["allow"]
ALLOW_RGB = (0x2e, 0x7d, 0x32)
DENY_RGB = (0x8a, 0x1c, 0x1c)
HEADER_RGB = (0x24, 0x46, 0x6e)
EX_DATAERR = 65

FIELDS = ["--peer-id=123456789", "--peer-name=Alice Example",
          "--source=192.0.2.7:21118", "--kind=desktop",
          "--permissions=keyboard, clipboard, files"]


class Prompt:
    """outpost.exe consent-prompt running, its window found."""

    def __init__(self, wine, exe, args, stdin=None):
        # The last prompt's window gone first, so that the one found is
        # this prompt's.
        end = time.monotonic() + 20
        while consent_window() and time.monotonic() < end:
            time.sleep(0.05)
        if consent_window():
            raise AssertionError("an earlier prompt's window is still up")
        for attempt in range(3):
            self.p = subprocess.Popen(
                [wine, exe, "consent-prompt"] + args,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE)
            self.start = time.monotonic()
            self.out, self.errb, self.first_out = [], [], []
            self.readers = [
                threading.Thread(target=self._read, daemon=True,
                                 args=(self.p.stdout, self.out, True)),
                threading.Thread(target=self._read, daemon=True,
                                 args=(self.p.stderr, self.errb, False))]
            for t in self.readers:
                t.start()
            if stdin is not None:
                self.p.stdin.write(stdin)
            self.p.stdin.close()
            found = None
            end = self.start + 90
            while time.monotonic() < end and self.p.poll() is None:
                if (found := consent_window()) is not None:
                    break
                time.sleep(0.05)
            self.seen = time.monotonic()
            if found is not None:
                self.wid, self.x, self.y, self.w, self.h = found
                return
            rc, out = self.answer(timeout=30)
            err = self.err
            # winerun's case: wine itself failed to start the program.
            if self.p.returncode == 1 and not out and not err:
                sys.stderr.write("wine exited 1 silently; again\n")
                continue
            raise AssertionError("no consent window: rc %s, stdout %r, "
                                 "stderr %r" % (self.p.returncode, out, err))
        raise AssertionError("wine did not start the prompt")

    def click(self, cx, cy):
        """A real X click at client (cx, cy)."""
        xdo("mousemove", "--sync", self.x + cx, self.y + cy)
        xdo("click", "1")

    def click_allow(self):
        self.click(ALLOW_X + BTN_W // 2, BTN_Y + BTN_H // 2)

    def click_deny(self):
        self.click(DENY_X + BTN_W // 2, BTN_Y + BTN_H // 2)

    def wait_armed(self):
        time.sleep(max(0.0, self.seen + ARM_S + 0.5 - time.monotonic()))

    def running(self):
        return self.p.poll() is None

    def _read(self, f, into, first):
        for chunk in iter(lambda: f.read1(4096), b""):
            if first and not self.first_out:
                self.first_out.append(time.monotonic())
            into.append(chunk)

    def answer(self, timeout=20):
        """(exit code, stdout); self.answered: when stdout's first bytes
        came (the daemon's answer), which may be before the exit: wine
        with no window manager waits 2 s for one on unmapping."""
        self.p.wait(timeout=timeout)
        for t in self.readers:
            t.join(timeout=10)
        self.err = b"".join(self.errb).decode(errors="replace")
        self.answered = self.first_out[0] if self.first_out else None
        return self.p.returncode, b"".join(self.out).decode(
            errors="replace")

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok:", what)


def expect(pr, want, what):
    rc, out = pr.answer()
    check(rc == 0 and out == want + "\n",
          "%s -> %r (rc %s, stdout %r, stderr %r)"
          % (what, want, rc, out, pr.err.strip()[-300:]))


def near(px, rgb, tol=12):
    return all(abs(a - b) <= tol for a, b in zip(px, rgb))


def pixel(img, w, x, y):
    i = (y * w + x) * 3
    return tuple(img[i:i + 3])


def look(pr, display):
    """Size, position, colours at the layout's places; returns the
    picture of the client area."""
    check((pr.w, pr.h) == (WIN_W, WIN_H),
          "client area %dx%d is %dx%d" % (pr.w, pr.h, WIN_W, WIN_H))
    cx, cy = pr.x + pr.w // 2, pr.y + pr.h // 2
    check(abs(cx - 512) <= 8 and abs(cy - 384) <= 40,
          "centred on the 1024x768 screen (client centre %d,%d)" % (cx, cy))
    img, w, h = video_util.xwd_image(display, (pr.x, pr.y, WIN_W, WIN_H))
    for name, bx, rgb in (("Allow", ALLOW_X, ALLOW_RGB),
                          ("Deny", DENY_X, DENY_RGB)):
        # Inside the border, away from the label.
        px = [pixel(img, w, bx + dx, BTN_Y + dy)
              for dx, dy in ((3, 3), (BTN_W - 4, 3), (3, BTN_H - 4),
                             (BTN_W - 4, BTN_H - 4))]
        check(all(near(p, rgb) for p in px),
              "%s button drawn at client %d,%d (%s)" % (name, bx, BTN_Y, px))
    check(near(pixel(img, w, 5, 5), HEADER_RGB), "header band drawn")
    return img, w


def row(img, w, n):
    """Bytes of the value column of field row n (0: peer id)."""
    y0 = 30 + 14 + 18 + 6 + n * 18
    return b"".join(bytes(img[((y0 + y) * w + 114) * 3:
                              ((y0 + y) * w + WIN_W - 14) * 3])
                    for y in range(18))


def main():
    wine, exe, inject = sys.argv[1:4]
    display = os.environ["DISPLAY"]

    # Look, then a real click on Allow.
    pr = Prompt(wine, exe, ["--timeout=60"] + FIELDS)
    try:
        img, w = look(pr, display)
        check(pr.running(), "still asking before any click")
        pr.wait_armed()
        pr.click_allow()
        expect(pr, "allow", "a real click on Allow")
    finally:
        pr.kill()

    pr = Prompt(wine, exe, ["--timeout=60"] + FIELDS)
    try:
        pr.wait_armed()
        pr.click_deny()
        expect(pr, "deny", "a real click on Deny")
    finally:
        pr.kill()

    # A click on Allow as soon as the window shows: ignored.
    for attempt in range(3):
        pr = Prompt(wine, exe, ["--timeout=60"] + FIELDS)
        try:
            pr.click_allow()
            early = time.monotonic() - pr.seen
            if early >= ARM_S - 0.1:
                print("note: the early click came %.2f s late; again"
                      % early)
                continue
            time.sleep(1.5)
            check(pr.running(), "a click on Allow %.2f s after the window "
                  "showed is ignored" % early)
            pr.click_deny()
            expect(pr, "deny", "then a click on Deny")
            break
        finally:
            pr.kill()
    else:
        raise AssertionError("could not click within 400 ms in 3 tries")

    # Keys: Escape denies; Return, space and Enter-like keys do not allow.
    pr = Prompt(wine, exe, ["--timeout=60"] + FIELDS)
    try:
        pr.wait_armed()
        pr.click(WIN_W // 2, 70)        # the text: focuses, no answer
        xdo("key", "Return", "space", "a", "Tab", "Return")
        time.sleep(1.0)
        check(pr.running(), "a click on the text and Return, space, a, "
              "Tab give no answer")
        xdo("key", "Escape")
        expect(pr, "deny", "Escape")
    finally:
        pr.kill()

    pr = Prompt(wine, exe, ["--timeout=60"] + FIELDS)
    try:
        pr.wait_armed()
        pr.click(WIN_W // 2, 70)
        xdo("key", "alt+F4")
        expect(pr, "deny", "Alt+F4 (closing the window)")
    finally:
        pr.kill()

    pr = Prompt(wine, exe, ["--timeout=60"] + FIELDS)
    try:
        pr.wait_armed()
        r = winerun.run([wine, inject, "close"], timeout=60)
        check(r.returncode == 0, "WM_CLOSE sent by another program (%r)"
              % r.stderr)
        expect(pr, "deny", "WM_CLOSE")
    finally:
        pr.kill()

    # The deadline.
    pr = Prompt(wine, exe, ["--timeout=2"] + FIELDS)
    try:
        rc, out = pr.answer(timeout=30)
        took = (pr.answered or 1e9) - pr.seen
        total = (pr.answered or 1e9) - pr.start
        check(rc == 0 and out == "timeout\n" and took <= 4.0 and
              total >= 2.0, "--timeout=2 -> 'timeout' %.1f s after the "
              "window showed, %.1f s after start (rc %s, %r)"
              % (took, total, rc, out))
    finally:
        pr.kill()

    # The request on stdin, as consent_ask sends it; its fields drawn.
    req = (b"peer_id=555000111\npeer_name=Someone Else Entirely\n"
           b"source=198.51.100.9:40000\nkind=file-transfer\n"
           b"permissions=files\nunknown_key=ignored\n")
    pr = Prompt(wine, exe, ["--stdin", "--timeout=60"], stdin=req)
    try:
        img2, w2 = look(pr, display)
        for n, name in enumerate(("peer id", "name", "source", "kind",
                                  "permissions")):
            check(row(img, w, n) != row(img2, w2, n),
                  "the %s row shows the request's own text" % name)
        pr.wait_armed()
        pr.click_deny()
        expect(pr, "deny", "--stdin request, then Deny")
    finally:
        pr.kill()
    for what, data in (("a line without '='", b"peer_id=1\nnonsense\n"),
                       ("5000 bytes", b"peer_name=" + b"x" * 5000 + b"\n")):
        r = winerun.run([wine, exe, "consent-prompt", "--stdin",
                         "--timeout=1"], input=data, timeout=120)
        check(r.returncode == EX_DATAERR and r.stdout == b"",
              "stdin with %s refused: rc %s, nothing on stdout (%r)"
              % (what, r.returncode, r.stdout))

    # Another program's input, SendInput or posted button messages: on
    # Deny it lands and denies (so it does reach the window); on Allow it
    # gives no answer, and a real Deny ends the prompt.
    for mode, how in (("click", "injected with SendInput"),
                      ("post", "posted as WM_LBUTTONDOWN/UP")):
        for name, bx in (("Deny", DENY_X), ("Allow", ALLOW_X)):
            pr = Prompt(wine, exe, ["--timeout=60"] + FIELDS)
            try:
                pr.wait_armed()
                x, y = bx + BTN_W // 2, BTN_Y + BTN_H // 2
                if mode == "click":
                    x, y = pr.x + x, pr.y + y
                r = winerun.run([wine, inject, mode, str(x), str(y)],
                                timeout=60)
                check(r.returncode == 0, "%s: sent (%r)" % (how, r.stderr))
                if name == "Deny":
                    expect(pr, "deny", "a click on Deny " + how)
                    continue
                time.sleep(1.0)
                check(pr.running(), "a click on Allow %s gives no answer"
                      % how)
                pr.click_deny()
                expect(pr, "deny", "then a real click on Deny")
            finally:
                pr.kill()

    # Hostile fields: long, control characters, invalid UTF-8, '&'.
    junk = "A&B\x01\x1b[31m\x7f\u202e" + "\u00e9\u4e2d" * 300 + "\xff"
    for pr_args, data in (
            (["--timeout=2", "--peer-id=" + "9" * 3000,
              "--peer-name=" + junk, "--source=" + "\t\n\r" * 100,
              "--kind=" + junk, "--permissions=" + junk * 3], None),
            (["--stdin", "--timeout=2"],
             b"peer_name=\xff\xfe\xc3(\xed\xa0\x80zz\r\npermissions=" +
             b"\x01\x1b\x7f" * 1000 + b"\nkind=\xe2\x80\xae&x\n")):
        p = winerun.run([wine, exe, "consent-prompt"] + pr_args,
                        input=data or b"", timeout=120)
        check(p.returncode == 0 and p.stdout == b"timeout\n",
              "hostile fields%s: the window shows and times out (rc %s, %r,"
              " %r)" % (" on stdin" if data else "", p.returncode, p.stdout,
                        p.stderr[-200:]))
    r = winerun.run([wine, exe, "consent-prompt", "--stdin", "--timeout=1"],
                    input=b"peer_name=a\x00b\n", timeout=120)
    check(r.returncode == EX_DATAERR and r.stdout == b"",
          "stdin with a NUL refused: rc %s, nothing on stdout (%r)"
          % (r.returncode, r.stdout))
    print("wine-consent-prompt: all checks passed")


if __name__ == "__main__":
    main()
