#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Mutter capture backend (issue 13 part 3) against a real headless
mutter (mutter_util.py: its own session bus, PipeWire and WirePlumber,
all as the test user): agent/capture through tests/tools/op-capture-probe,
which grabs in libuv's thread pool as the session does. As root, the
probe connects to the user's bus and PipeWire through a child running as
that user (platform_connect_user).

Checked: the display list (the 1280x720 virtual monitor); with a GTK
client showing a known pattern fullscreen, a grab matches the pattern
(PSNR; Mutter has no screenshot API without GNOME Shell, so the
reference is the pixels the client drew, 1:1); damage counters grow when
the screen changes and stay still when it does not; mutter killed ->
"gone", no crash; a directory without a session bus fails the open
quickly with not-found. Figures are printed as `MUTTER ...` lines.

Skips (77) only when mutter, PipeWire or GTK's Python bindings are not
installed."""
import os
import shutil
import time
import unittest

from common import SOURCE_DIR, main

import mutter_util as mu
import sway_util as su

PROBE = os.environ.get("OP_CAPTURE_PROBE", os.path.join(
    SOURCE_DIR, "build", "dev", "tests", "tools", "op-capture-probe"))
OP_ERR_NOT_FOUND = -20010
PSNR_GOAL = 35.0


def report(name, value):
    print(f"MUTTER {name} {value}", flush=True)


@unittest.skipUnless(os.path.exists(PROBE), f"no {PROBE}")
@unittest.skipIf(mu.missing_tools(), f"not installed: {mu.missing_tools()}")
class MutterCapture(unittest.TestCase):
    def setUp(self):
        self.probe = None
        self.client = None
        self.tmp = su.user_tmp("op-mutter-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.img = su.pattern(*mu.MODE)
        self.png = os.path.join(self.tmp, "pattern.png")
        su.write_png(self.png, self.img)
        # A cleanup also runs when setUp fails half-way (mutter runs in a
        # session of its own and would stay).
        self.mutter = mu.Mutter(log_dir=self.tmp).start()
        self.addCleanup(self.mutter.stop)

    def tearDown(self):
        if self.probe is not None:
            rc = self.probe.close()
            self.assertEqual(rc, 0, "the probe crashed or failed")
        if self.client is not None and self.client.poll() is None:
            self.client.kill()
            self.client.wait(5)

    def open_probe(self):
        t0 = time.monotonic()
        self.probe = su.JsonProbe([PROBE, "mutter", self.mutter.runtime_dir])
        report("open_s", f"{time.monotonic() - t0:.2f}")
        self.assertEqual(self.probe.first.get("event"), "ready",
                         self.probe.first)
        return self.probe

    def grab(self):
        path = os.path.join(self.tmp, "grab.ppm")
        e = self.probe.ask(f"grab 0 {path}", "grab", timeout=30)
        self.assertEqual(e["status"], 0, e)
        return su.read_ppm(path)

    def show_pattern(self):
        self.client = self.mutter.show_image(self.png)
        line = self.mutter.wait_line(self.client, "mapped")
        self.assertEqual(line, "mapped 1280 720")

    def grab_until(self, pred, timeout=10):
        """Grabs after each damage event until pred(frame) (the client's
        frame may reach the screen a little after it said so)."""
        deadline = time.monotonic() + timeout
        frame = self.grab()
        while not pred(frame) and time.monotonic() < deadline:
            try:
                self.probe.wait("damage", timeout=1)
            except TimeoutError:
                pass
            frame = self.grab()
        return frame

    def test_grab_matches_the_drawn_pattern(self):
        p = self.open_probe()
        d = p.ask("displays", "displays")["list"]
        self.assertEqual(d, [{"x": 0, "y": 0, "w": 1280, "h": 720,
                              "name": "mutter-primary", "primary": True}])
        before = self.grab()
        self.assertLess(su.psnr(before, self.img), 20,
                        "the pattern is on screen before it was shown")
        self.show_pattern()
        frame = self.grab_until(lambda f: su.psnr(f, self.img) >= PSNR_GOAL)
        v = su.psnr(frame, self.img)
        report("psnr_vs_pattern_1280x720",
               "inf" if v == float("inf") else f"{v:.2f}")
        report("exact_vs_pattern_1280x720", int((frame == self.img).all()))
        self.assertEqual(frame.shape, (720, 1280, 3))
        self.assertGreaterEqual(v, PSNR_GOAL)
        b = p.ask("bench 0 40", "bench", timeout=60)
        self.assertEqual(b["status"], 0, b)
        report("grab_ms_1280x720", f"mean={b['mean_ms']:.2f} "
               f"p50={b['p50_ms']:.2f} p95={b['p95_ms']:.2f}")

    def test_damage_follows_changes(self):
        p = self.open_probe()
        time.sleep(1.0)
        p.drain()
        s0 = p.ask("seq", "seq")["seq"][0]
        time.sleep(1.5)
        s1 = p.ask("seq", "seq")["seq"][0]
        report("damage_idle_1_5s", s1 - s0)
        self.assertEqual(s1, s0, "damage without any change on screen")
        self.show_pattern()
        e = p.wait("damage", timeout=10)
        report("damage_after_client", e["seq"][0] - s1)
        self.assertGreater(e["seq"][0], s1)

    def test_mutter_killed_is_gone(self):
        p = self.open_probe()
        self.grab()
        p.send("bench 0 100000")  # grabs in the thread pool during the kill
        time.sleep(0.3)
        t0 = time.monotonic()
        self.mutter.procs["mutter"].kill()
        seen = p.wait_all(("gone", "bench"), timeout=15)
        report("gone_after_kill_s", f"{seen['gone']['_at'] - t0:.2f}")
        self.assertNotEqual(seen["bench"]["status"], 0, seen)
        report("grab_status_after_death", seen["bench"]["status"])
        self.assertIsNone(p.proc.poll(), "the probe died")
        self.assertEqual(p.ask("displays", "displays")["list"], [])

    def test_no_bus_fails_fast(self):
        empty = su.user_tmp("op-mutter-empty-")
        try:
            t0 = time.monotonic()
            probe = su.JsonProbe([PROBE, "mutter", empty], events=False)
            took = time.monotonic() - t0
            rc = probe.proc.wait(10)
        finally:
            shutil.rmtree(empty, ignore_errors=True)
        self.assertEqual(probe.first.get("event"), "open_failed")
        self.assertEqual(probe.first.get("status"), OP_ERR_NOT_FOUND)
        self.assertEqual(rc, 3)
        self.assertLess(took, 5)


if __name__ == "__main__":
    main()
