#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The consent window (`outpost consent-prompt`) and consent_ask, under a
private Xvfb (-nolisten tcp, display picked with -displayfd), clicked with
xdotool through XTEST the way a real pointer clicks:

  - Allow / Deny clicks, Escape, a timeout, a synthetic (XSendEvent)
    click that must never allow, hostile peer text, a bad stdin request,
    no display, the window killed, the X server killed;
  - consent_ask through the C tool op-consent-ask with the test hook
    OUTPOST_CONSENT_TEST_DISPLAY: allow, deny, timeout, cancel, X server
    killed mid-prompt; and, as root, the prompt running as `nobody` with
    nobody's groups, NoNewPrivs and a five-variable environment.

The button rectangles come from the window's _OUTPOST_CONSENT_BUTTONS
property (consent-prompt.h keeps the layout). Screenshots of the prompt
go to $OP_BUILD_DIR/consent/ for a human to look at."""
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import video_util  # noqa: E402
from video_util import xenv  # noqa: E402

BUILD_DIR = os.environ.get(
    "OP_BUILD_DIR", os.path.join(common.SOURCE_DIR, "build", "dev"))
ASK = os.environ.get("OP_CONSENT_ASK", os.path.join(
    BUILD_DIR, "tests", "tools", "op-consent-ask"))
SHOTS = os.path.join(BUILD_DIR, "consent")
TITLE = "Outpost: remote access request"
ARM_S = 0.7  # CONSENT_ARM_MS (500) plus a margin
HAVE_X = all(shutil.which(p) for p in ("Xvfb", "xdotool", "xprop"))


def Xvfb():
    """The consent tests' private X server (video_util's, at 1024x768)."""
    return video_util.Xvfb(1024, 768)


def xcmd(display, *args, check=True):
    return subprocess.run(list(args), env=xenv(display), check=check,
                          capture_output=True, text=True, timeout=20)


def find_window(display, timeout=30.0, proc=None):
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the prompt exited {proc.returncode}: "
                                 f"{out!r} {err!r}")
        last = xcmd(display, "xdotool", "search", "--onlyvisible", "--name",
                    "^Outpost", check=False)
        out = last.stdout.split()
        if out:
            return out[0]
        time.sleep(0.1)
    tree = xcmd(display, "xwininfo", "-root", "-tree", check=False)
    raise AssertionError(f"the consent window did not appear on {display}"
                         f" (xdotool: {last.returncode} {last.stderr!r});"
                         f" windows: {tree.stdout}{tree.stderr}")


def buttons(display, win):
    out = xcmd(display, "xprop", "-id", win,
               "_OUTPOST_CONSENT_BUTTONS").stdout
    found = {m[0]: tuple(int(v) for v in m[1:])
             for m in re.findall(r"(allow|deny) (\d+) (\d+) (\d+) (\d+)",
                                 out)}
    assert set(found) == {"allow", "deny"}, out
    return found


def click(display, win, which, synthetic=False):
    x, y, w, h = buttons(display, win)[which]
    args = ["xdotool", "mousemove", "--window", win, str(x + w // 2),
            str(y + h // 2), "click"]
    if synthetic:
        args += ["--window", win]  # XSendEvent: flagged synthetic
    xcmd(display, *(args + ["1"]))


def screenshot(display, name):
    """Saves the screen as PNG (real ImageMagick) or XWD, for a human."""
    if not shutil.which("xwd"):
        return
    os.makedirs(SHOTS, exist_ok=True)
    xwd = os.path.join(SHOTS, name + ".xwd")
    with open(xwd, "wb") as f:
        subprocess.run(["xwd", "-root", "-silent"], env=xenv(display),
                       stdout=f, check=False, timeout=20)
    conv = shutil.which("convert-im6.q16") or "/usr/bin/convert"
    if os.path.exists(conv):
        png = os.path.join(SHOTS, name + ".png")
        if subprocess.run([conv, xwd, png], capture_output=True,
                          timeout=60).returncode == 0:
            os.unlink(xwd)


def prompt(display, *args, stdin=None):
    return subprocess.Popen(
        [common.OUTPOST, "consent-prompt"] + list(args),
        env=xenv(display), stdin=subprocess.PIPE if stdin else None,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(p, stdin=None, timeout=20):
    out, err = p.communicate(input=stdin, timeout=timeout)
    return p.returncode, out, err


@unittest.skipUnless(HAVE_X, "needs Xvfb, xdotool and xprop")
class PromptTests(unittest.TestCase):
    """outpost consent-prompt run directly."""

    @classmethod
    def setUpClass(cls):
        cls.x = Xvfb()
        cls.d = cls.x.display

    @classmethod
    def tearDownClass(cls):
        cls.x.stop()

    def ask(self, *extra, stdin=None):
        p = prompt(self.d, "--timeout=20", "--peer-id=123456789",
                   "--peer-name=Test Technician",
                   "--source=203.0.113.5:41234", "--kind=desktop",
                   "--permissions=keyboard, clipboard", *extra,
                   stdin=stdin)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        return p

    def test_allow_click(self):
        p = self.ask()
        win = find_window(self.d, proc=p)
        names = xcmd(self.d, "xprop", "-id", win, "WM_NAME",
                     "_NET_WM_NAME").stdout
        self.assertEqual(names.count(f'"{TITLE}"'), 2, names)
        geo = xcmd(self.d, "xdotool", "getwindowgeometry", win).stdout
        self.assertIn("460x236", geo)
        screenshot(self.d, "prompt")
        time.sleep(ARM_S)
        click(self.d, win, "allow")
        self.assertEqual(finish(p)[:2], (0, "allow\n"))

    def test_deny_click(self):
        p = self.ask()
        win = find_window(self.d, proc=p)
        time.sleep(ARM_S)
        click(self.d, win, "deny")
        self.assertEqual(finish(p)[:2], (0, "deny\n"))

    def test_escape_denies(self):
        p = self.ask()
        win = find_window(self.d, proc=p)
        time.sleep(ARM_S)
        # XTEST key to the focused window (the prompt takes focus).
        xcmd(self.d, "xdotool", "mousemove", "--window", win, "5", "5",
             "key", "Escape")
        self.assertEqual(finish(p)[:2], (0, "deny\n"))

    def test_synthetic_click_never_allows(self):
        p = prompt(self.d, "--timeout=4", "--peer-id=1")
        self.addCleanup(lambda: p.poll() is None and p.kill())
        win = find_window(self.d, proc=p)
        time.sleep(ARM_S)
        click(self.d, win, "allow", synthetic=True)
        rc, out, _ = finish(p)
        self.assertEqual((rc, out), (0, "timeout\n"))

    def test_timeout(self):
        t0 = time.monotonic()
        p = prompt(self.d, "--timeout=2", "--peer-id=1")
        rc, out, _ = finish(p)
        self.assertEqual((rc, out), (0, "timeout\n"))
        self.assertGreaterEqual(time.monotonic() - t0, 1.9)
        self.assertLess(time.monotonic() - t0, 6)

    def test_hostile_text(self):
        name = ("Evil\x1b[2J\x07\r\nPeer ID: 000 \u202eevil\u202c"
                + "A" * 5000)
        p = self.ask("--peer-name=" + name, "--permissions=" + "x" * 3000,
                     "--kind=desk\ttop")
        win = find_window(self.d, proc=p)
        names = xcmd(self.d, "xprop", "-id", win, "WM_NAME").stdout
        self.assertIn(f'"{TITLE}"', names)
        screenshot(self.d, "prompt-hostile")
        time.sleep(ARM_S)
        click(self.d, win, "deny")
        self.assertEqual(finish(p)[:2], (0, "deny\n"))

    def test_stdin_request(self):
        p = prompt(self.d, "--stdin", "--timeout=20", stdin=True)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        p.stdin.write("peer_id=987654321\npeer_name=From Stdin\n"
                      "source=198.51.100.7:1\nkind=file transfer\n"
                      "permissions=none\n")
        p.stdin.close()
        win = find_window(self.d, proc=p)
        time.sleep(ARM_S)
        click(self.d, win, "allow")
        out = p.stdout.read()
        p.wait(timeout=10)
        self.assertEqual((p.returncode, out), (0, "allow\n"))

    def test_bad_stdin_request(self):
        p = prompt(self.d, "--stdin", stdin=True)
        rc, out, err = finish(p, stdin="no equals sign\n")
        self.assertEqual((rc, out), (65, ""))
        self.assertIn("bad request", err)

    def test_no_display(self):
        p = prompt(":987", "--timeout=5")
        rc, out, err = finish(p)
        self.assertEqual((rc, out), (69, ""))
        self.assertIn("cannot open display", err)

    def test_window_killed(self):
        p = self.ask()
        win = find_window(self.d, proc=p)
        xcmd(self.d, "xdotool", "windowkill", win, check=False)
        rc, out, _ = finish(p)
        self.assertEqual(out, "")
        self.assertNotEqual(rc, 0)

    def test_x_server_dies(self):
        x = Xvfb()
        self.addCleanup(x.stop)
        p = prompt(x.display, "--timeout=20")
        self.addCleanup(lambda: p.poll() is None and p.kill())
        find_window(x.display, proc=p)
        x.stop()
        rc, out, _ = finish(p)
        self.assertEqual((rc, out), (74, ""))


class Ask:
    """op-consent-ask in the background; lines arrive on a queue."""

    def __init__(self, *args, env=None):
        self.proc = subprocess.Popen(
            [ASK, "--self", os.path.abspath(common.OUTPOST)] + list(args),
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def expect(self, prefix, timeout=30):
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no '{prefix}' line in time")
            line = self.lines.get(timeout=left)
            if line is None:
                raise AssertionError(f"tool ended before '{prefix}'")
            if line.startswith(prefix):
                return line[len(prefix):].strip()

    def result(self):
        r = self.expect("result ")
        detail = self.expect("detail")
        self.expect("clean")
        self.proc.wait(timeout=10)
        return r, detail

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


@unittest.skipUnless(HAVE_X, "needs Xvfb, xdotool and xprop")
class AskTests(unittest.TestCase):
    """consent_ask end to end, as the daemon will call it."""

    @classmethod
    def setUpClass(cls):
        cls.x = Xvfb()
        cls.d = cls.x.display

    @classmethod
    def tearDownClass(cls):
        cls.x.stop()

    def start(self, *args, display=None):
        env = xenv(display or self.d,
                   OUTPOST_CONSENT_TEST_DISPLAY=display or self.d)
        a = Ask(*args, env=env)
        self.addCleanup(a.close)
        return a, int(a.expect("pid "))

    def test_ask_allow(self):
        a, pid = self.start()
        win = find_window(self.d)
        time.sleep(ARM_S)
        click(self.d, win, "allow")
        r, detail = a.result()
        self.assertEqual(r, "allow")
        self.assertIn("allowed by", detail)

    def test_ask_deny(self):
        a, _ = self.start()
        win = find_window(self.d)
        time.sleep(ARM_S)
        click(self.d, win, "deny")
        self.assertEqual(a.result()[0], "deny")

    def test_ask_timeout_never_allows(self):
        t0 = time.monotonic()
        a, pid = self.start("--timeout-ms", "2000")
        find_window(self.d)
        r, detail = a.result()
        self.assertEqual(r, "timeout")
        self.assertLess(time.monotonic() - t0, 8)
        self.assertFalse(os.path.exists(f"/proc/{pid}"))

    def test_ask_cancel(self):
        a, pid = self.start()
        find_window(self.d)
        a.proc.send_signal(signal.SIGUSR1)  # consent_cancel
        self.assertEqual(a.result()[0], "cancelled")
        self.assertFalse(os.path.exists(f"/proc/{pid}"))

    def test_ask_x_server_dies(self):
        x = Xvfb()
        self.addCleanup(x.stop)
        a, _ = self.start(display=x.display)
        find_window(x.display)
        x.stop()
        r, detail = a.result()
        self.assertEqual(r, "error")
        self.assertIn("X connection", detail)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to switch user")
    def test_ask_runs_as_the_user(self):
        a = Ask("--user", "nobody", "--display", self.d,
                env=dict(os.environ, LANG="C.UTF-8"))
        self.addCleanup(a.close)
        pid = int(a.expect("pid "))
        win = find_window(self.d)
        with open(f"/proc/{pid}/status") as f:
            st = dict(line.rstrip("\n").split(":\t", 1) for line in f)
        with open(f"/proc/{pid}/environ", "rb") as f:
            keys = sorted(e.split(b"=", 1)[0].decode()
                          for e in f.read().split(b"\0") if e)
        nobody = subprocess.run(["id", "-u", "nobody"], capture_output=True,
                                text=True).stdout.strip()
        groups = subprocess.run(["id", "-G", "nobody"], capture_output=True,
                                text=True).stdout.split()
        self.assertEqual(st["Uid"].split(), [nobody] * 4)
        self.assertEqual(sorted(st["Groups"].split()), sorted(groups))
        self.assertEqual(st["NoNewPrivs"].strip(), "1")
        self.assertEqual(int(st["CapEff"], 16), 0)
        self.assertEqual(keys, ["DISPLAY", "HOME", "LANG", "PATH"])
        time.sleep(ARM_S)
        click(self.d, win, "allow")
        self.assertEqual(a.result()[0], "allow")


if __name__ == "__main__":
    common.main()
