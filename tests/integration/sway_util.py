# SPDX-License-Identifier: MIT
"""A private, real headless sway for tests: WLR_BACKENDS=headless with the
pixman renderer and no input devices, running as an unprivileged test
user (`outpost-waytest`, created when missing and we are root; sway
refuses to run as root) in a private XDG_RUNTIME_DIR. Tools (grim,
swaymsg, ...) run as that user with run().

    with Sway(mode="1280x720", bg=png_path) as sw:
        sw.socket          # the compositor's socket: what the agent opens
        sw.grim_ppm()      # the compositor's own screenshot, as numpy RGB
        sw.msg("output * bg #ff0000 solid_color")
        sw.kill()          # the compositor dies
"""
import json
import os
import queue
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import threading
import time
import zlib

import numpy as np

from common import user_session_dirs
from pipewire_util import ensure_user

TEST_USER = "outpost-waytest"
TOOLS = ("sway", "swaymsg", "swaybg", "grim")


def missing_tools():
    return [t for t in TOOLS if shutil.which(t) is None]


def write_png(path, rgb):
    """rgb: (h, w, 3) uint8 -> an 8-bit RGB PNG (no PIL needed)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\0" + rgb[y].tobytes() for y in range(h))

    def chunk(t, d):
        return (struct.pack(">I", len(d)) + t + d +
                struct.pack(">I", zlib.crc32(t + d) & 0xffffffff))
    png = (b"\x89PNG\r\n\x1a\n" +
           chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
           chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)
    os.chmod(path, 0o644)


def pattern(w, h, seed=1):
    """Gradients, an XOR texture and noise: nothing an encoder or a wrong
    row order or channel swap could pass by accident."""
    y, x = np.mgrid[0:h, 0:w]
    rng = np.random.default_rng(seed)
    img = np.stack([(x * 255) // max(w - 1, 1), (y * 255) // max(h - 1, 1),
                    (x ^ y) & 0xff], axis=2).astype(np.uint8)
    band = min(64, h - h // 2)
    img[h // 2:h // 2 + band, :] = rng.integers(0, 256, (band, w, 3),
                                                dtype=np.uint8)
    return img


def desktop_pattern(w, h):
    """What a desktop shows an encoder: per-channel gradients (a row-order
    or channel swap cannot pass) and flat blocks with sharp edges, no
    noise (incompressible noise would measure the bit rate, not the
    path). For PSNR checks through a lossy codec."""
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([(x * 255) // max(w - 1, 1), (y * 255) // max(h - 1, 1),
                    np.where(((x // 80) + (y // 80)) % 2 == 0, 40, 200)],
                   axis=2).astype(np.uint8)
    img[h // 4:h // 4 + 90, w // 8:w // 8 + 300] = (250, 250, 250)
    img[h // 2:h // 2 + 120, w // 2:w // 2 + 200] = (10, 30, 160)
    return img


def read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, dims, maxv, rest = data.split(b"\n", 3)
    assert magic == b"P6" and maxv == b"255", path
    w, h = map(int, dims.split())
    return np.frombuffer(rest[:w * h * 3], np.uint8).reshape(h, w, 3)


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def user_tmp(prefix):
    """A temporary folder the test user can read."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    os.chmod(tmp, 0o755)
    return tmp


def start_sway_probe(test, prefix, make_probe):
    """setUp of a backend test: test.tmp, a 1280x720 headless sway logging
    there (test.sway) and test.probe = make_probe(socket), which must have
    said it is ready."""
    test.tmp = user_tmp(prefix)
    test.sway = Sway(mode="1280x720", log_dir=test.tmp).start()
    test.probe = make_probe(test.sway.socket)
    test.assertEqual(test.probe.first.get("event"), "ready",
                     test.probe.first)


def stop_sway(test):
    """tearDown's end: sway stopped, test.tmp removed."""
    test.sway.stop()
    shutil.rmtree(test.tmp, ignore_errors=True)


class JsonProbe:
    """A probe tool (tests/tools) as a child: its first JSON line in
    .first, then, with events, each further line on a queue; commands on
    stdin."""

    def __init__(self, argv, events=True):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.first = json.loads(self.proc.stdout.readline() or "{}")
        if events:
            self.events = queue.Queue()
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.events.put(json.loads(line))

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def wait(self, kind, timeout=10, pred=None):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {kind} event")
            try:
                e = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if e["event"] == kind and (pred is None or pred(e)):
                return e

    def wait_all(self, kinds, timeout=10):
        """Until one event of each kind came (any order); {kind: event},
        the last of each kind seen, with "_at": time.monotonic() when it
        was taken off the queue. TimeoutError with what came."""
        seen = {}
        deadline = time.monotonic() + timeout
        while not all(k in seen for k in kinds):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"waited for {kinds}, saw {seen}")
            try:
                e = self.events.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            seen[e["event"]] = dict(e, _at=time.monotonic())
        return seen

    def drain(self):
        out = []
        while True:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                return out

    def ask(self, line, kind, timeout=10):
        self.send(line)
        return self.wait(kind, timeout)

    def close(self):
        """Asks it to quit; its exit status (killed after 10 s)."""
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class Sway:
    def __init__(self, mode="1280x720", bg=None, user=TEST_USER,
                 log_dir=None, runtime_dir=None):
        """runtime_dir: the XDG_RUNTIME_DIR to use (the user's, 0700)
        instead of a private one, e.g. /run/user/UID as logind makes."""
        self.fixed_runtime_dir = runtime_dir
        self.mode = mode
        self.bg = bg
        self.user = user
        self.log_dir = log_dir
        self.proc = None
        self.base = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.uid, self.gid = ensure_user(self.user)
        self.base, self.runtime_dir, self.home = user_session_dirs(
            self.uid, self.gid, "op-sway-")
        if self.fixed_runtime_dir is not None:
            self.runtime_dir = self.fixed_runtime_dir
        os.chmod(self.home, 0o755)
        bg = (f"bg {self.bg} center #000000" if self.bg
              else "bg #203040 solid_color")
        self.config = os.path.join(self.home, "config")
        with open(self.config, "w") as f:
            f.write(f"xwayland disable\n"
                    f"output HEADLESS-1 mode {self.mode} position 0 0 {bg}\n"
                    f"default_border none\n")
        os.chmod(self.config, 0o644)
        self.env = {
            "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": self.home,
            "XDG_RUNTIME_DIR": self.runtime_dir,
            "WLR_BACKENDS": "headless", "WLR_RENDERER": "pixman",
            "WLR_LIBINPUT_NO_DEVICES": "1",
        }
        log = (subprocess.DEVNULL if self.log_dir is None else
               open(os.path.join(self.log_dir, "sway.log"), "ab"))
        self.proc = subprocess.Popen(
            self.as_user(["sway", "-c", self.config]), env=self.env,
            cwd=self.home, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_ready()
        except Exception:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout=15):
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sway exited with {self.proc.returncode}")
            socks = [n for n in os.listdir(self.runtime_dir)
                     if n.startswith("wayland-") and not n.endswith(".lock")]
            ipc = [n for n in os.listdir(self.runtime_dir)
                   if n.startswith("sway-ipc.")]
            if socks and ipc:
                self.socket = os.path.join(self.runtime_dir, socks[0])
                self.env["WAYLAND_DISPLAY"] = socks[0]
                self.env["SWAYSOCK"] = os.path.join(self.runtime_dir, ipc[0])
                # The background client is up once grim sees it drawn.
                if self.run(["swaymsg", "-t", "get_outputs"],
                            check=False).returncode == 0:
                    return
            if time.monotonic() > deadline:
                raise TimeoutError("sway did not come up")
            time.sleep(0.05)

    def as_user(self, argv):
        if os.geteuid() == 0 and self.uid != 0:
            return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}",
                    "--clear-groups", "--"] + list(argv)
        return list(argv)

    def run(self, argv, timeout=15, check=True):
        return subprocess.run(self.as_user(argv), env=self.env,
                              cwd=self.home, capture_output=True,
                              timeout=timeout, check=check)

    def run_quiet(self, argv, input=None, timeout=15):
        """For tools that leave a child serving in the background
        (wl-copy): no pipes to wait on. Returns the exit code."""
        return subprocess.run(self.as_user(argv), env=self.env,
                              cwd=self.home, input=input,
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL,
                              timeout=timeout).returncode

    def msg(self, command):
        return self.run(["swaymsg", command])

    def grim_ppm(self, output="HEADLESS-1"):
        path = os.path.join(self.home, "grim.ppm")
        self.run(["grim", "-o", output, "-t", "ppm", path])
        img = read_ppm(path)
        os.unlink(path)
        return img

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                self.kill()
        self.proc = None
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None


def wev_events(path):
    """(typed utf8 text of pressed keys, pressed keysym names, buttons
    [(code, state)], motions [(x, y)], axis discrete values)."""
    text, syms, buttons, motions, axes = "", [], [], [], []
    pressed = False
    # newline="\n": Return's utf8 is a raw CR, not a line break.
    with open(path, errors="replace", newline="\n") as f:
        for line in f:
            m = re.search(r"wl_keyboard\] key: .*state: (\d)", line)
            if m:
                pressed = m.group(1) == "1"
                continue
            m = re.search(r"sym: (\S+)\s+\(\d+\), utf8: '(.*)'", line,
                          re.S)
            if m and pressed:
                syms.append(m.group(1))
                text += m.group(2)
                pressed = False
                continue
            m = re.search(r"button: (\d+) \(\w+\), state: (\d)", line)
            if m:
                buttons.append((int(m.group(1)), int(m.group(2))))
            m = re.search(r"wl_pointer\] motion: .*x, y: ([\d.]+), "
                          r"([\d.]+)", line)
            if m:
                motions.append((float(m.group(1)), float(m.group(2))))
            m = re.search(r"discrete: (-?\d+)", line)
            if m:
                axes.append(int(m.group(1)))
    return text, syms, buttons, motions, axes


class Wev:
    """wev (a real Wayland client printing every input event it gets) as
    the test user, full-output and focused, its output in dir/wev.out."""

    def __init__(self, sway, dir):
        self.out = os.path.join(dir, "wev.out")
        self.proc = subprocess.Popen(
            sway.as_user(["stdbuf", "-oL", "wev"]), env=sway.env,
            cwd=sway.home, stdout=open(self.out, "w"),
            stderr=subprocess.STDOUT)

    def text(self):
        with open(self.out, errors="replace") as f:
            return f.read()

    def wait_for(self, text, timeout=10):
        deadline = time.monotonic() + timeout
        while text not in self.text():
            if self.proc.poll() is not None:
                raise AssertionError(f"wev exited: {self.text()[-500:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"wev never showed {text!r}")
            time.sleep(0.05)

    def wait_mapped(self, move, w=1280, h=720, timeout=10):
        """Until it has the keyboard focus, is mapped at w x h and has
        seen the pointer enter; move() moves the pointer onto it."""
        self.wait_for("wl_keyboard] enter")
        self.wait_for(f"configure: width: {w}; height: {h}")
        deadline = time.monotonic() + timeout
        while "wl_pointer] enter" not in self.text():
            move()
            if time.monotonic() > deadline:
                raise AssertionError("no pointer enter")
            time.sleep(0.1)

    def settle(self, count_text, n, timeout=10):
        """Until it printed count_text at least n times (or timeout)."""
        deadline = time.monotonic() + timeout
        while (self.text().count(count_text) < n
               and time.monotonic() < deadline):
            time.sleep(0.05)

    def events(self):
        return wev_events(self.out)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
