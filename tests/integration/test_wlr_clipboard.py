#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The wlroots clipboard (issue 13 part 2, zwlr_data_control_v1) against
a real headless sway as the test user (sway_util.py), with wl-copy and
wl-paste as the desktop's other clients. agent/clipboard's wlr backend is
driven by tests/tools/op-clip-probe.

Checked: text both ways (UTF-8, with a change event for the host's copy
and none for our own); PNG both ways, byte for byte; the size cap both
ways; text that is not UTF-8 refused; sway killed -> reads fail, no
crash.

Skips (77) only when sway or wl-clipboard is not installed."""
import os
import shutil
import time
import unittest

from common import SOURCE_DIR, main

import sway_util as su

PROBE = os.environ.get("OP_CLIP_PROBE", os.path.join(
    SOURCE_DIR, "build", "dev", "tests", "tools", "op-clip-probe"))
OP_ERR_TOO_LARGE = -20002
OP_ERR_NOT_FOUND = -20010
OP_ERR_RANGE = -20013
MAX = 100000
MISSING = su.missing_tools() + [t for t in ("wl-copy", "wl-paste")
                                if shutil.which(t) is None]


class Probe(su.JsonProbe):
    def __init__(self, display):
        super().__init__([PROBE, display, str(MAX)])

    def read(self):
        e = self.ask("read", "read")
        return e["status"], [(i["format"], bytes.fromhex(i["hex"]))
                             for i in e["items"]]


@unittest.skipUnless(os.path.exists(PROBE), f"no {PROBE}")
@unittest.skipIf(MISSING, f"not installed: {MISSING}")
class WlrClipboard(unittest.TestCase):
    def setUp(self):
        su.start_sway_probe(self, "op-wlrclip-", Probe)

    def tearDown(self):
        rc = self.probe.close()
        su.stop_sway(self)
        self.assertEqual(rc, 0, "the probe failed")

    def paste(self, mime=None):
        argv = ["wl-paste", "-n"] + (["-t", mime] if mime else [])
        return self.sway.run(argv).stdout

    def test_text_both_ways(self):
        self.assertEqual(self.probe.read(), (OP_ERR_NOT_FOUND, []))
        text = "hello ✓ from the host\nsecond line"
        self.assertEqual(self.sway.run_quiet(["wl-copy", text]), 0)
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
            self.assertEqual(self.sway.run_quiet(
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
        self.assertEqual(self.sway.run_quiet(["wl-copy", big]), 0)
        self.probe.wait("changed")
        self.assertEqual(self.probe.read(), (OP_ERR_TOO_LARGE, []))
        e = self.probe.ask("set-text " + big.encode().hex(), "set")
        self.assertEqual(e["status"], OP_ERR_TOO_LARGE)
        e = self.probe.ask("set-text " + b"\xff\xfe bad".hex(), "set")
        self.assertEqual(e["status"], OP_ERR_RANGE)
        # Exactly the cap is fine.
        ok = "y" * MAX
        self.assertEqual(self.sway.run_quiet(["wl-copy", ok]), 0)
        self.probe.wait("changed")
        self.assertEqual(self.probe.read(), (0, [("text", ok.encode())]))

    def test_compositor_dies(self):
        self.assertEqual(self.sway.run_quiet(["wl-copy", "x"]), 0)
        self.probe.wait("changed")
        self.sway.kill()
        time.sleep(0.3)
        status, items = self.probe.read()
        self.assertNotEqual(status, 0)
        self.assertEqual(items, [])


if __name__ == "__main__":
    main()
