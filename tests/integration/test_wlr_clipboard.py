#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Wayland clipboards against real headless compositors as test
users, with wl-copy and wl-paste as the desktop's other clients:
agent/clipboard's wlr backend (issue 13 part 2, zwlr_data_control_v1) on
sway (sway_util.py), and its mutter backend (Mutter's RemoteDesktop
clipboard) on mutter (mutter_util.py; an input probe gives the seat the
keyboard wl-copy needs, as a session's input does). Both are driven by
tests/tools/op-clip-probe, through the same cases.

Checked: text both ways (UTF-8, with a change event for the host's copy
and none for our own); PNG both ways, byte for byte; the size cap both
ways; text that is not UTF-8 refused; sway killed -> reads fail, no
crash.

Skips (77) only when sway/mutter or wl-clipboard is not installed."""
import os
import shutil
import subprocess
import time
import unittest

from common import SOURCE_DIR, main

import mutter_util as mu
import sway_util as su

PROBE = os.environ.get("OP_CLIP_PROBE", os.path.join(
    SOURCE_DIR, "build", "dev", "tests", "tools", "op-clip-probe"))
OP_ERR_TOO_LARGE = -20002
OP_ERR_NOT_FOUND = -20010
OP_ERR_RANGE = -20013
MAX = 100000
MISSING = su.missing_tools() + [t for t in ("wl-copy", "wl-paste")
                                if shutil.which(t) is None]


INPUT_PROBE = os.path.join(os.path.dirname(PROBE), "op-input-probe")


class Probe(su.JsonProbe):
    def __init__(self, display, backend="wlr"):
        super().__init__([PROBE, display, str(MAX), backend])

    def read(self):
        e = self.ask("read", "read")
        return e["status"], [(i["format"], bytes.fromhex(i["hex"]))
                             for i in e["items"]]


class ClipboardCases:
    """The cases; a subclass sets self.desktop (its as_user, env, home)
    and self.probe, and kills the compositor in kill_desktop()."""

    def run_quiet(self, argv, input=None):
        """wl-copy leaves a child serving: no pipes to wait on."""
        d = self.desktop
        return subprocess.run(d.as_user(argv), env=d.env, cwd=d.home,
                              input=input, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL,
                              timeout=15).returncode

    def paste(self, mime=None):
        d = self.desktop
        argv = ["wl-paste", "-n"] + (["-t", mime] if mime else [])
        return subprocess.run(d.as_user(argv), env=d.env, cwd=d.home,
                              capture_output=True, timeout=15,
                              check=True).stdout

    def test_text_both_ways(self):
        self.assertEqual(self.probe.read(), (OP_ERR_NOT_FOUND, []))
        text = "hello ✓ from the host\nsecond line"
        self.assertEqual(self.run_quiet(["wl-copy", text]), 0)
        self.probe.wait("changed")
        self.assertEqual(self.probe.read(),
                         (0, [("text", text.encode())]))
        mine = "from the technician: é€☺"
        e = self.probe.ask("set-text " + mine.encode().hex(), "set")
        self.assertEqual(e["status"], 0)
        self.assertEqual(self.paste().decode(), mine)
        self.assertEqual(self.paste("UTF8_STRING").decode(), mine)
        # Our own set is not reported as somebody else's change.
        time.sleep(0.5)
        events = []
        while not self.probe.events.empty():
            events.append(self.probe.events.get())
        self.assertNotIn("changed", [e["event"] for e in events])
        # And reading it back gives what we set.
        self.assertEqual(self.probe.read(), (0, [("text", mine.encode())]))

    def test_png_both_ways(self):
        png = os.path.join(self.tmp, "a.png")
        su.write_png(png, su.pattern(64, 48))
        data = open(png, "rb").read()
        with open(png, "rb") as f:
            self.assertEqual(self.run_quiet(
                ["wl-copy", "-t", "image/png"], input=f.read()), 0)
        self.probe.wait("changed")
        self.assertEqual(self.probe.read(), (0, [("png", data)]))
        su.write_png(png, su.pattern(32, 32, seed=2))
        data = open(png, "rb").read()
        e = self.probe.ask("set-png " + png, "set")
        self.assertEqual(e["status"], 0)
        self.assertEqual(self.paste("image/png"), data)

    def test_limits(self):
        big = "x" * (MAX + 1)
        self.assertEqual(self.run_quiet(["wl-copy", big]), 0)
        self.probe.wait("changed")
        self.assertEqual(self.probe.read(), (OP_ERR_TOO_LARGE, []))
        e = self.probe.ask("set-text " + big.encode().hex(), "set")
        self.assertEqual(e["status"], OP_ERR_TOO_LARGE)
        e = self.probe.ask("set-text " + b"\xff\xfe bad".hex(), "set")
        self.assertEqual(e["status"], OP_ERR_RANGE)
        # Exactly the cap is fine.
        ok = "y" * MAX
        self.assertEqual(self.run_quiet(["wl-copy", ok]), 0)
        self.probe.wait("changed")
        self.assertEqual(self.probe.read(), (0, [("text", ok.encode())]))

    def test_compositor_dies(self):
        self.assertEqual(self.run_quiet(["wl-copy", "x"]), 0)
        self.probe.wait("changed")
        self.kill_desktop()
        time.sleep(0.3)
        status, items = self.probe.read()
        self.assertNotEqual(status, 0)
        self.assertEqual(items, [])


@unittest.skipUnless(os.path.exists(PROBE), f"no {PROBE}")
@unittest.skipIf(MISSING, f"not installed: {MISSING}")
class WlrClipboard(ClipboardCases, unittest.TestCase):
    def setUp(self):
        su.start_sway_probe(self, "op-wlrclip-", Probe)
        self.desktop = self.sway

    def tearDown(self):
        rc = self.probe.close()
        su.stop_sway(self)
        self.assertEqual(rc, 0, "the probe failed")

    def kill_desktop(self):
        self.sway.kill()


MUTTER_MISSING = mu.missing_tools() + [
    t for t in ("wl-copy", "wl-paste") if shutil.which(t) is None]


@unittest.skipUnless(os.path.exists(PROBE), f"no {PROBE}")
@unittest.skipUnless(os.path.exists(INPUT_PROBE), f"no {INPUT_PROBE}")
@unittest.skipIf(MUTTER_MISSING, f"not installed: {MUTTER_MISSING}")
class MutterClipboard(ClipboardCases, unittest.TestCase):
    def setUp(self):
        self.tmp = su.user_tmp("op-mutclip-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.desktop = mu.Mutter(log_dir=self.tmp).start()
        self.addCleanup(self.desktop.stop)
        keyboard = su.JsonProbe([INPUT_PROBE, "mutter",
                                 self.desktop.runtime_dir], events=False)
        self.addCleanup(keyboard.close)
        self.probe = Probe(self.desktop.runtime_dir, "mutter")
        self.assertEqual(self.probe.first.get("event"), "ready",
                         self.probe.first)

    def tearDown(self):
        self.assertEqual(self.probe.close(), 0, "the probe failed")

    def kill_desktop(self):
        self.desktop.procs["mutter"].kill()
        self.desktop.procs["mutter"].wait(10)


if __name__ == "__main__":
    main()
