# SPDX-License-Identifier: MIT
"""A private headless GNOME compositor for tests: the session bus,
PipeWire and WirePlumber of pipewire_util.PipeWire (no sink), plus
`mutter --headless --wayland --no-x11 --virtual-monitor 1280x720`, all
as the test user `outpost-muttertest` in a private XDG_RUNTIME_DIR.
Mutter's org.gnome.Mutter.RemoteDesktop / ScreenCast are on that bus,
which is what the agent's "mutter" backends talk to.

    with Mutter(log_dir=tmp) as m:
        m.runtime_dir                 # the backends' target
        c = m.show_image(png)         # gtk_client.py fullscreen, Popen
        m.wait_line(c, "mapped")
"""
import os
import re
import select
import shutil
import subprocess
import time

from pipewire_util import PipeWire
from pipewire_util import missing_tools as pw_missing

TEST_USER = "outpost-muttertest"
MODE = (1280, 720)
HERE = os.path.dirname(os.path.abspath(__file__))
GTK_CLIENT = os.path.join(HERE, "gtk_client.py")
PYTHON = "/usr/bin/python3"


def gtk_missing():
    """Why the GTK test client cannot run here (None when it can)."""
    r = subprocess.run([PYTHON, "-c", "import gi; gi.require_version("
                        "'Gtk', '3.0'); from gi.repository import Gtk"],
                       capture_output=True)
    return None if r.returncode == 0 else "python3-gi / gir1.2-gtk-3.0"


def missing_tools():
    """What a Mutter test needs that is not installed."""
    miss = pw_missing() + [t for t in ("mutter", "gdbus")
                           if shutil.which(t) is None]
    gtk = None if miss else gtk_missing()
    return miss + ([gtk] if gtk else [])


def pointer_events(path):
    """(buttons [(code, state)], motions [(x, y)]) of the newest
    wl_pointer: Mutter re-announces the seat's capabilities when it adds
    the virtual keyboard, wev then binds a second wl_pointer and both get
    every event."""
    with open(path, errors="replace") as f:
        lines = f.read().splitlines()
    ids = [m.group(1) for m in (re.search(r"\[(\d+):\s+wl_pointer\]", ln)
                                for ln in lines) if m]
    newest = ids[-1] if ids else None
    buttons, motions = [], []
    for ln in lines:
        if not re.search(rf"\[{newest}:\s+wl_pointer\]", ln):
            continue
        m = re.search(r"button: (\d+) \(\w+\), state: (\d)", ln)
        if m:
            buttons.append((int(m.group(1)), int(m.group(2))))
        m = re.search(r"motion: .*x, y: ([\d.]+), ([\d.]+)", ln)
        if m:
            motions.append((float(m.group(1)), float(m.group(2))))
    return buttons, motions



def wait_unscaled(move, wev_out, timeout=10):
    """Mutter animates a window's mapping (it grows into place) and
    scales its surface coordinates until that ends. Moves the pointer
    with move(x, y) until 100 px on the screen are 100 px in the newest
    wl_pointer of wev's output."""
    deadline = time.monotonic() + timeout
    while True:
        move(600, 300)
        move(700, 300)
        time.sleep(0.2)
        m = pointer_events(wev_out)[1]
        if len(m) >= 2 and abs(m[-1][0] - m[-2][0] - 100) < 0.05:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"wev's coordinates stay scaled: {m[-4:]}")

class Mutter(PipeWire):
    """See the module docstring. start()/stop() or a with-block."""

    def __init__(self, log_dir=None, mode=MODE, runtime_dir=None):
        super().__init__(user=TEST_USER, log_dir=log_dir, sink=False,
                         runtime_dir=runtime_dir)
        self.mode = mode

    def start(self):
        super().start()
        try:
            self.env["XDG_SESSION_TYPE"] = "wayland"
            self.env["GSETTINGS_BACKEND"] = "memory"
            w, h = self.mode
            self._spawn("mutter", ["mutter", "--headless", "--wayland",
                                   "--no-x11", "--virtual-monitor",
                                   f"{w}x{h}"])
            self._wait_ready()
        except Exception:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout=20):
        """Both D-Bus names owned and the Wayland socket there."""
        deadline = time.monotonic() + timeout
        while True:
            p = self.procs["mutter"]
            if p.poll() is not None:
                raise RuntimeError(f"mutter exited with {p.returncode}")
            r = self.run(["gdbus", "call", "--session", "--dest",
                          "org.freedesktop.DBus", "--object-path",
                          "/org/freedesktop/DBus", "--method",
                          "org.freedesktop.DBus.ListNames"], check=False)
            if ("org.gnome.Mutter.ScreenCast" in r.stdout and
                    "org.gnome.Mutter.RemoteDesktop" in r.stdout and
                    os.path.exists(os.path.join(self.runtime_dir,
                                                "wayland-0"))):
                self.env["WAYLAND_DISPLAY"] = "wayland-0"
                return
            if time.monotonic() > deadline:
                raise TimeoutError("mutter did not come up")
            time.sleep(0.1)

    def client(self, argv):
        """A Wayland client of this mutter as the user; Popen with text
        stdout (a pipe)."""
        env = dict(self.env, GDK_BACKEND="wayland", GDK_SCALE="1",
                   NO_AT_BRIDGE="1")
        return subprocess.Popen(self.as_user(argv), env=env, cwd=self.home,
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=self._log("client"), text=True)

    def show_image(self, png):
        """gtk_client.py showing png fullscreen (it prints "mapped" once
        drawn, then one line per key press and button press)."""
        return self.client([PYTHON, GTK_CLIENT, png])

    @staticmethod
    def wait_line(proc, prefix, timeout=15):
        """The next line of proc's stdout starting with prefix."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [],
                                        deadline - time.monotonic())
            if not ready:
                break
            line = proc.stdout.readline()
            if line == "":
                raise RuntimeError("the client exited")
            if line.startswith(prefix):
                return line.strip()
        raise TimeoutError(f"no '{prefix}' line from the client")

    def stop(self):
        self.terminate("mutter", grace=5)
        super().stop()
