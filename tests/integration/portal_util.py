# SPDX-License-Identifier: MIT
"""A private session with a real xdg-desktop-portal for tests: the
session bus, PipeWire and WirePlumber of pipewire_util.PipeWire (no
sink) as the test user `outpost-waytest`, plus one of:

  backend="wlr"     headless sway (sway_util.Sway) in the same runtime
                    dir, xdg-desktop-portal-wlr (its chooser set to
                    "none", output HEADLESS-1: no dialog) and
                    xdg-desktop-portal (XDG_CURRENT_DESKTOP=sway).
  backend="test"    xdg-desktop-portal with fake_portal.py's backend
                    (XDG_DESKTOP_PORTAL_DIR holds its .portal file) and
                    a real PipeWire video source, GStreamer showing a
                    PNG (node id in self.nodefile), as the stream.
  backend="hostile" fake_portal.py's hostile frontend instead of
                    xdg-desktop-portal (mode: see there).
  backend="none"    nothing on the bus but what D-Bus activation starts.

    with Portal(backend="test", log_dir=tmp, png=path) as p:
        p.runtime_dir          # the backends' target
        p.calls()              # what the fake backend was asked
"""
import json
import os
import shutil
import time

from pipewire_util import PipeWire
from pipewire_util import missing_tools as pw_missing
import sway_util as su

XDP = "/usr/libexec/xdg-desktop-portal"
XDPW = "/usr/libexec/xdg-desktop-portal-wlr"
TEST_USER = su.TEST_USER
HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_portal.py")
PYTHON = "/usr/bin/python3"
NODE_NAME = "outpost-test-screen"


def missing_tools(backend="test"):
    """What a portal test with that backend needs that is not
    installed."""
    miss = pw_missing() + [t for t in ("gdbus", "pw-dump")
                           if shutil.which(t) is None]
    if backend != "hostile" and not os.path.exists(XDP):
        miss.append(XDP)
    if backend == "wlr":
        miss += su.missing_tools()
        miss += [] if os.path.exists(XDPW) else [XDPW]
    if backend == "test" and shutil.which("gst-launch-1.0") is None:
        miss.append("gst-launch-1.0")
    return miss


class Portal(PipeWire):
    """See the module docstring. start()/stop() or a with-block."""

    def __init__(self, backend="test", mode="ok", log_dir=None, png=None):
        super().__init__(user=TEST_USER, log_dir=log_dir, sink=False)
        self.backend = backend
        self.mode = mode
        self.png = png
        self.sway = None

    def start(self):
        super().start()
        try:
            self.calls_log = os.path.join(self.home, "calls.jsonl")
            self.nodefile = os.path.join(self.home, "node")
            getattr(self, "_start_" + self.backend)()
        except Exception:
            self.stop()
            raise
        return self

    def _start_none(self):
        pass

    def _start_wlr(self):
        self.sway = su.Sway(mode="1280x720", log_dir=self.log_dir,
                            runtime_dir=self.runtime_dir).start()
        self.env["WAYLAND_DISPLAY"] = self.sway.env["WAYLAND_DISPLAY"]
        self.env["XDG_CURRENT_DESKTOP"] = "sway"
        d = os.path.join(self.env["XDG_CONFIG_HOME"],
                         "xdg-desktop-portal-wlr")
        self._user_file(os.path.join(d, "config"),
                        "[screencast]\nchooser_type=none\n"
                        "output_name=HEADLESS-1\nmax_fps=30\n")
        self._spawn("xdpw", [XDPW, "-l", "DEBUG"])
        self._wait_name("org.freedesktop.impl.portal.desktop.wlr")
        self._spawn("xdp", [XDP, "-v"])
        self._wait_name("org.freedesktop.portal.Desktop")

    def _start_test(self):
        self._start_video()
        d = os.path.join(self.home, "portals")
        self._user_file(os.path.join(d, "outposttest.portal"),
                        "[portal]\nDBusName=org.freedesktop.impl.portal."
                        "desktop.outposttest\nInterfaces=org.freedesktop."
                        "impl.portal.ScreenCast;org.freedesktop.impl.portal."
                        "RemoteDesktop;\nUseIn=outposttest\n")
        self.env["XDG_DESKTOP_PORTAL_DIR"] = d
        self.env["XDG_CURRENT_DESKTOP"] = "outposttest"
        self._spawn("fake", [PYTHON, FAKE, "impl", self.calls_log,
                             self.mode, self.nodefile])
        self._wait_name("org.freedesktop.impl.portal.desktop.outposttest")
        self._spawn("xdp", [XDP, "-v"])
        self._wait_name("org.freedesktop.portal.Desktop")

    def _start_hostile(self):
        self._spawn("fake", [PYTHON, FAKE, "frontend", self.calls_log,
                             self.mode])
        self._wait_name("org.freedesktop.portal.Desktop")

    def _start_video(self, timeout=15):
        """GStreamer shows the PNG as a PipeWire Video/Source node."""
        self._spawn("gst", [
            "gst-launch-1.0", "-q", "filesrc", f"location={self.png}", "!",
            "pngdec", "!", "imagefreeze", "!", "videoconvert", "!",
            "video/x-raw,format=BGRx,framerate=10/1", "!", "pipewiresink",
            "mode=provide",
            f"stream-properties=props,node.name={NODE_NAME},"
            "media.class=Video/Source"])
        deadline = time.monotonic() + timeout
        while True:
            node = self.find_node(NODE_NAME)
            if node is not None:
                break
            if self.procs["gst"].poll() is not None:
                raise RuntimeError("gst-launch exited")
            if time.monotonic() > deadline:
                raise TimeoutError("the video source did not appear")
            time.sleep(0.1)
        self._user_file(self.nodefile, str(node))
        self.node = node

    def find_node(self, name):
        r = self.run(["pw-dump"], check=False)
        try:
            objs = json.loads(r.stdout or "[]")
        except ValueError:
            return None
        for o in objs:
            props = (o.get("info") or {}).get("props") or {}
            if (o.get("type") == "PipeWire:Interface:Node" and
                    props.get("node.name") == name):
                return o["id"]
        return None

    def _user_file(self, path, text):
        """Writes a file the test user owns (its home is 0700)."""
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        for p in (os.path.dirname(path), path):
            os.chown(p, self.uid, self.gid)

    def set_mode(self, mode):
        """The fake backend's answer to the next Starts (fake_portal)."""
        self._user_file(self.nodefile + ".mode", mode)

    def close_sessions(self):
        """The fake backend ends its sessions (Session.Closed)."""
        self.run(["gdbus", "call", "--session", "--dest",
                  "org.freedesktop.impl.portal.desktop.outposttest",
                  "--object-path", "/org/outpost/test", "--method",
                  "org.outpost.TestPortal.CloseSessions"])

    def calls(self):
        """The fake's log: one dict per call it got."""
        try:
            with open(self.calls_log) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def names(self):
        r = self.run(["gdbus", "call", "--session", "--dest",
                      "org.freedesktop.DBus", "--object-path",
                      "/org/freedesktop/DBus", "--method",
                      "org.freedesktop.DBus.ListNames"], check=False)
        return r.stdout

    def _wait_name(self, name, timeout=20):
        deadline = time.monotonic() + timeout
        while f"'{name}'" not in self.names():
            for n, p in self.procs.items():
                if p.poll() is not None:
                    raise RuntimeError(f"{n} exited with {p.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} did not appear on the bus")
            time.sleep(0.05)

    def stop(self):
        for name in ("xdp", "fake", "xdpw", "gst"):
            self.terminate(name)
        if self.sway is not None:
            self.sway.stop()
            self.sway = None
        super().stop()
