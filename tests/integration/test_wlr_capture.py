#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The wlroots capture backend (issue 13 part 2) against a real headless
sway running as the test user (sway_util.py): agent/capture through
tests/tools/op-capture-probe, which grabs in libuv's thread pool as the
session does. As root, the probe connects through a child running as
the compositor's user (platform_connect_user).

Checked: the display list; a grab equals the compositor's own screenshot
(grim) at 1280x720 and after a mode change to 1920x1080 (PSNR, exact in
practice); damage counters grow when the screen changes and stay still
when it does not; sway killed during grabs -> "gone", grabs fail, no
crash; a socket that never answers and a missing one fail the open in
bounded time. Figures are printed as `WLR ...` lines.

Skips (77) only when sway or grim is not installed."""
import os
import queue
import socket
import subprocess
import tempfile
import time
import unittest

from common import SOURCE_DIR, main

import sway_util as su
import wayfake

PROBE = os.environ.get("OP_CAPTURE_PROBE", os.path.join(
    SOURCE_DIR, "build", "dev", "tests", "tools", "op-capture-probe"))
OP_ERR_NOT_FOUND = -20010
OP_ERR_UNSUPPORTED = -20012
OP_ERR_RANGE = -20013
OP_ERR_GONE = -20014
ETIMEDOUT = -110
PSNR_GOAL = 35.0


def report(name, value):
    print(f"WLR {name} {value}", flush=True)


class Probe(su.JsonProbe):
    """op-capture-probe as a child: events on a queue, commands on stdin."""

    def __init__(self, backend, display):
        super().__init__([PROBE, backend, display])

    def ask(self, line, kind, timeout=30):
        return super().ask(line, kind, timeout)


@unittest.skipUnless(os.path.exists(PROBE), f"no {PROBE}")
@unittest.skipIf(su.missing_tools(), f"not installed: {su.missing_tools()}")
class WlrCapture(unittest.TestCase):
    def setUp(self):
        self.tmp = su.user_tmp("op-wlr-")
        self.img = su.pattern(1280, 720)
        self.png = os.path.join(self.tmp, "pattern.png")
        su.write_png(self.png, self.img)
        self.sway = su.Sway(mode="1280x720", bg=self.png,
                            log_dir=self.tmp).start()
        self.probe = None

    def tearDown(self):
        if self.probe is not None:
            rc = self.probe.close()
            self.assertEqual(rc, 0, "the probe crashed or failed")
        self.sway.stop()
        subprocess.run(["rm", "-rf", self.tmp])

    def wait_drawn(self):
        """Until swaybg has drawn the pattern (grim sees it)."""
        deadline = time.monotonic() + 10
        while True:
            shot = self.sway.grim_ppm()
            if shot.shape == self.img.shape and \
                    su.psnr(shot, self.img) > 40:
                return shot
            if time.monotonic() > deadline:
                self.fail("the background never showed the pattern")
            time.sleep(0.1)

    def open_probe(self):
        self.probe = Probe("wlr", self.sway.socket)
        self.assertEqual(self.probe.first.get("event"), "ready",
                         self.probe.first)
        return self.probe

    def grab(self, display=0):
        path = os.path.join(self.tmp, "grab.ppm")
        e = self.probe.ask(f"grab {display} {path}", "grab")
        self.assertEqual(e["status"], 0, e)
        return su.read_ppm(path), e

    def test_grab_matches_grim(self):
        self.wait_drawn()
        p = self.open_probe()
        d = p.ask("displays", "displays")["list"]
        self.assertEqual(d, [{"x": 0, "y": 0, "w": 1280, "h": 720,
                              "name": "HEADLESS-1", "primary": True}])
        frame, e = self.grab()
        shot = self.sway.grim_ppm()
        self.assertEqual(frame.shape, (720, 1280, 3))
        v = su.psnr(frame, shot)
        report("psnr_vs_grim_1280x720", "inf" if v == float("inf")
               else f"{v:.2f}")
        report("exact_vs_grim_1280x720", int((frame == shot).all()))
        self.assertGreaterEqual(v, PSNR_GOAL)
        # And against what we drew: the frame is the screen, top row first.
        self.assertGreaterEqual(su.psnr(frame, self.img), 40)

    def test_bench_and_mode_change(self):
        self.wait_drawn()
        p = self.open_probe()
        b = p.ask("bench 0 40", "bench", timeout=60)
        self.assertEqual(b["status"], 0, b)
        report("grab_ms_1280x720", f"mean={b['mean_ms']:.2f} "
               f"p50={b['p50_ms']:.2f} p95={b['p95_ms']:.2f}")
        self.sway.msg("output HEADLESS-1 mode 1920x1080")
        p.wait("layout", timeout=10)
        d = p.ask("displays", "displays")["list"]
        self.assertEqual((d[0]["w"], d[0]["h"]), (1920, 1080), d)
        time.sleep(0.5)  # swaybg redraws for the new size
        frame, _ = self.grab()
        shot = self.sway.grim_ppm()
        self.assertEqual(frame.shape, (1080, 1920, 3))
        v = su.psnr(frame, shot)
        report("psnr_vs_grim_1920x1080", "inf" if v == float("inf")
               else f"{v:.2f}")
        self.assertGreaterEqual(v, PSNR_GOAL)
        b = p.ask("bench 0 40", "bench", timeout=60)
        self.assertEqual(b["status"], 0, b)
        report("grab_ms_1920x1080", f"mean={b['mean_ms']:.2f} "
               f"p50={b['p50_ms']:.2f} p95={b['p95_ms']:.2f}")
        # Damage is still tracked at the new size.
        time.sleep(1.2)
        p.drain()
        s0 = p.ask("seq", "seq")["seq"][0]
        self.sway.msg("output * bg #00ff00 solid_color")
        e = p.wait("damage", timeout=5, pred=lambda e: e["seq"][0] > s0)
        self.assertGreater(e["seq"][0], s0)

    def test_damage(self):
        self.wait_drawn()
        p = self.open_probe()
        time.sleep(0.5)
        p.drain()
        s0 = p.ask("seq", "seq")["seq"][0]
        # An idle screen: the watcher waits for damage, it does not spin.
        time.sleep(1.0)
        s1 = p.ask("seq", "seq")["seq"][0]
        self.assertLessEqual(s1 - s0, 1, "damage on an idle screen")
        t0 = time.monotonic()
        self.sway.msg("output * bg #ff0000 solid_color")
        e = p.wait("damage", timeout=5, pred=lambda e: e["seq"][0] > s1)
        report("damage_latency_ms",
               f"{(time.monotonic() - t0) * 1000:.1f}")
        self.assertGreater(e["seq"][0], s1)
        deadline = time.monotonic() + 5
        while True:
            frame, _ = self.grab()
            if (frame[360, 640] == [255, 0, 0]).all():
                break
            self.assertLess(time.monotonic(), deadline, frame[360, 640])
            time.sleep(0.1)

    def test_compositor_dies_mid_capture(self):
        self.wait_drawn()
        p = self.open_probe()
        p.send("bench 0 100000")
        time.sleep(0.5)
        self.sway.kill()
        seen = {}
        deadline = time.monotonic() + 10
        while not ("gone" in seen and "bench" in seen):
            self.assertLess(time.monotonic(), deadline, seen)
            try:
                e = p.events.get(timeout=0.5)
            except queue.Empty:
                continue
            seen[e["event"]] = e
        self.assertNotEqual(seen["bench"]["status"], 0, seen)
        report("grab_status_after_death", seen["bench"]["status"])
        self.assertEqual(p.proc.poll(), None, "the probe died")
        d = p.ask("displays", "displays")["list"]
        self.assertEqual(d, [])


@unittest.skipUnless(os.path.exists(PROBE), f"no {PROBE}")
# Without sway the file would pass on these alone: skip it all (77).
@unittest.skipIf(su.missing_tools(), f"not installed: {su.missing_tools()}")
class WlrOpenFails(unittest.TestCase):
    def test_missing_socket(self):
        p = Probe("wlr", "/nonexistent/wayland-9")
        self.assertEqual(p.first["event"], "open_failed")
        self.assertEqual(p.first["status"], OP_ERR_NOT_FOUND)
        self.assertEqual(p.close(), 3)

    def test_silent_compositor(self):
        """A socket that accepts and never answers: bounded, no hang."""
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "wayland-silent")
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            srv.bind(path)
            srv.listen(4)
            os.chmod(d, 0o755)
            t0 = time.monotonic()
            p = Probe("wlr", path)
            took = time.monotonic() - t0
            srv.close()
        self.assertEqual(p.first["event"], "open_failed", p.first)
        self.assertEqual(p.first["status"], ETIMEDOUT, p.first)
        self.assertLess(took, 5)
        self.assertEqual(p.close(), 3)


@unittest.skipUnless(os.path.exists(PROBE), f"no {PROBE}")
@unittest.skipIf(su.missing_tools(), f"not installed: {su.missing_tools()}")
class WlrHostile(unittest.TestCase):
    """A lying compositor (wayfake.py): refused or bounded, never a
    crash (the probe runs under ASan in CI)."""

    def probe(self, fc):
        return Probe("wlr", fc.path)

    def test_giant_output_not_offered(self):
        with wayfake.FakeCompositor(mode=(100000, 64)) as fc:
            p = self.probe(fc)
            self.assertEqual(p.first["event"], "open_failed", p.first)
            self.assertEqual(p.first["status"], OP_ERR_RANGE)
            self.assertEqual(p.close(), 3)

    def test_negative_output_not_offered(self):
        with wayfake.FakeCompositor(mode=(-5, 64)) as fc:
            p = self.probe(fc)
            self.assertEqual(p.first["status"], OP_ERR_RANGE, p.first)
            self.assertEqual(p.close(), 3)

    def test_hostile_name_is_printable(self):
        with wayfake.FakeCompositor(name="\x1b[2J" + "N" * 500) as fc:
            p = self.probe(fc)
            self.assertEqual(p.first["event"], "ready", p.first)
            d = p.ask("displays", "displays")["list"]
            self.assertEqual(len(d), 1)
            self.assertEqual(d[0]["name"], "?[2J" + "N" * 59)
            self.assertEqual(p.close(), 0)

    def test_insane_offers_refused(self):
        for offer in [(1, 64, 64, 16),          # stride < width * 4
                      (1, 64, 64, 64 * 4 + 1),  # unaligned
                      (1, 64, 64, 1 << 30),     # absurd stride
                      (1, 9000, 9000, 36000),   # over CAPTURE_MAX_DIM
                      (0x30303030, 64, 64, 256)]:  # unknown format
            with wayfake.FakeCompositor(offer=offer) as fc:
                p = self.probe(fc)
                self.assertEqual(p.first["event"], "ready", p.first)
                e = p.ask("grab 0 /dev/null", "grab")
                self.assertEqual(e["status"], OP_ERR_UNSUPPORTED,
                                 (offer, e))
                self.assertEqual(p.close(), 0)

    def test_wrong_size_offer_is_a_state_error(self):
        with wayfake.FakeCompositor(offer=(1, 32, 32, 128)) as fc:
            p = self.probe(fc)
            e = p.ask("grab 0 /dev/null", "grab")
            self.assertEqual(e["status"], -20011, e)  # OP_ERR_STATE
            self.assertEqual(p.close(), 0)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to switch users")
    def test_root_connects_as_the_socket_owner(self):
        """platform_connect_user: every connection (the loop's and the
        grabber's) comes from the socket owner's uid, never root."""
        uid, gid = su.ensure_user()
        with wayfake.FakeCompositor() as fc:
            os.chown(fc.path, uid, gid)
            p = self.probe(fc)
            self.assertEqual(p.first["event"], "ready", p.first)
            # The fake never copies: the grab times out (2 s); what
            # matters is who connected for it.
            p.ask("grab 0 /dev/null", "grab")
            self.assertEqual(p.close(), 0)
            self.assertGreaterEqual(len(fc.peers), 2, fc.peers)
            self.assertEqual({(u, g) for _, u, g in fc.peers}, {(uid, gid)})

    def test_unknown_event_breaks_only_the_connection(self):
        with wayfake.FakeCompositor(garbage=True) as fc:
            p = self.probe(fc)
            self.assertEqual(p.first["event"], "open_failed", p.first)
            self.assertEqual(p.close(), 3)


if __name__ == "__main__":
    main()
