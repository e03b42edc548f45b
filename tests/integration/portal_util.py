# SPDX-License-Identifier: MIT
"""A private desktop with a real xdg-desktop-portal for tests: the
session bus, PipeWire and WirePlumber of pipewire_util.PipeWire (no
sink), a headless sway (sway_util.Sway) in the same XDG_RUNTIME_DIR,
xdg-desktop-portal-wlr (ScreenCast for wlroots; its chooser set to
"none" with output HEADLESS-1, so no dialog) and xdg-desktop-portal
(XDG_CURRENT_DESKTOP=sway picks wlr.portal), all as the test user
`outpost-waytest`. What the agent's "portal" backends talk to.

    with Portal(log_dir=tmp) as p:
        p.runtime_dir          # the backends' target
        p.sway.grim_ppm()      # the compositor's own screenshot
"""
import os
import shutil
import time

from pipewire_util import PipeWire
from pipewire_util import missing_tools as pw_missing
import sway_util as su

XDP = "/usr/libexec/xdg-desktop-portal"
XDPW = "/usr/libexec/xdg-desktop-portal-wlr"
TEST_USER = su.TEST_USER


def missing_tools():
    """What a portal test needs that is not installed."""
    return (pw_missing() + su.missing_tools() +
            [t for t in ("gdbus",) if shutil.which(t) is None] +
            [p for p in (XDP, XDPW) if not os.path.exists(p)])


class Portal(PipeWire):
    """See the module docstring. start()/stop() or a with-block.
    portal=False leaves xdg-desktop-portal out (a bus without it)."""

    def __init__(self, log_dir=None, mode="1280x720", portal=True):
        super().__init__(user=TEST_USER, log_dir=log_dir, sink=False)
        self.mode = mode
        self.with_portal = portal
        self.sway = None

    def start(self):
        super().start()
        try:
            self.sway = su.Sway(mode=self.mode, log_dir=self.log_dir,
                                runtime_dir=self.runtime_dir).start()
            self.env["WAYLAND_DISPLAY"] = self.sway.env["WAYLAND_DISPLAY"]
            self.env["XDG_CURRENT_DESKTOP"] = "sway"
            self.env["XDG_SESSION_TYPE"] = "wayland"
            self._write_wlr_config()
            if self.with_portal:
                self._spawn("xdpw", [XDPW, "-l", "DEBUG"])
                self._wait_name("org.freedesktop.impl.portal.desktop.wlr")
                self._spawn("xdp", [XDP, "-v"])
                self._wait_name("org.freedesktop.portal.Desktop")
        except Exception:
            self.stop()
            raise
        return self

    def _write_wlr_config(self):
        d = os.path.join(self.env["XDG_CONFIG_HOME"],
                         "xdg-desktop-portal-wlr")
        self.run(["mkdir", "-p", d])
        self.run(["sh", "-c", "cat > " + os.path.join(d, "config")
                  + " <<'EOF'\n[screencast]\nchooser_type=none\n"
                  "output_name=HEADLESS-1\nmax_fps=30\nEOF\n"])

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
        for name in ("xdp", "xdpw"):
            if name in self.procs:
                self.terminate(name)
        if self.sway is not None:
            self.sway.stop()
            self.sway = None
        super().stop()
