#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The wlroots input backend (issue 13 part 2) against a real headless sway
as the test user (sway_util.py), seen by a real Wayland client: `wev`
(focused, full-output window) prints every keyboard and pointer event it
gets. agent/input is driven by tests/tools/op-input-probe through the
same planners the session uses (Map mode for keys).

Checked: a click lands at the right surface position with BTN_LEFT
pressed and released; typed text arrives as the right keysyms and UTF-8,
including Shift (uppercase), Latin-1 (é, on a spare key: the us keymap
has no é) and a character outside any layout (☺); an X keycode in Map
mode (38 = 'a'); a named key (Return); Ctrl+a as a Map-mode client
sends it, with the Control modifier applied (wlroots takes a virtual
keyboard's modifiers from the client); a wheel notch; nothing left held; sway killed -> the
next event fails with "gone", no crash.

Skips (77) only when sway or wev is not installed."""
import json
import os
import shutil
import time
import unittest

from common import SOURCE_DIR, main

import sway_util as su

PROBE = os.environ.get("OP_INPUT_PROBE", os.path.join(
    SOURCE_DIR, "build", "dev", "tests", "tools", "op-input-probe"))
OP_ERR_GONE = -20014
MISSING = su.missing_tools() + [t for t in ("wev", "stdbuf")
                                if shutil.which(t) is None]


class Probe(su.JsonProbe):
    def __init__(self, display):
        super().__init__([PROBE, "wlr", display], events=False)

    def cmd(self, line):
        self.send(line)
        return json.loads(self.proc.stdout.readline())


@unittest.skipUnless(os.path.exists(PROBE), f"no {PROBE}")
@unittest.skipIf(MISSING, f"not installed: {MISSING}")
class WlrInput(unittest.TestCase):
    def setUp(self):
        # The devices exist before the client, as in a session.
        su.start_sway_probe(self, "op-wlrin-", Probe)
        self.wev = su.Wev(self.sway, self.tmp)
        self.wev_out = self.wev.out
        self.wev.wait_mapped(lambda: self.probe.cmd("move 600 300"))

    def tearDown(self):
        if self.probe.proc.poll() is None:
            self.assertEqual(self.probe.close(), 0, "the probe failed")
        self.wev.stop()
        su.stop_sway(self)

    def settle(self, count_text, n, timeout=10):
        self.wev.settle(count_text, n, timeout)

    def test_pointer(self):
        self.assertEqual(self.probe.cmd("click 640 360")["event"], "ok")
        self.assertEqual(self.probe.cmd("wheel 1")["event"], "ok")
        self.assertEqual(self.probe.cmd("wheel -2")["event"], "ok")
        self.settle("discrete:", 3)
        _, _, buttons, motions, axes = su.wev_events(self.wev_out)
        self.assertIn((640.0, 360.0), motions)
        self.assertEqual(buttons, [(272, 1), (272, 0)])
        self.assertEqual(axes, [-1, 1, 1])
        self.assertEqual(self.probe.cmd("held"), {"event": "held", "n": 0})
        # Outside the layout: refused, nothing sent.
        e = self.probe.cmd("click 1280 10")
        self.assertEqual(e["event"], "error", e)

    def test_typing(self):
        text = "aB1 é☺?"
        self.assertEqual(self.probe.cmd("seq " + text)["event"], "ok")
        self.assertEqual(self.probe.cmd("key 38")["event"], "ok")
        self.settle("sym:", 2 * (len(text) + 1 + 3))
        time.sleep(0.3)
        typed, syms, _, _, _ = su.wev_events(self.wev_out)
        self.assertEqual(typed, text + "a", syms)
        self.assertIn("Shift_L", syms)
        self.assertIn("eacute", syms)
        self.assertIn("U263A", syms)
        self.assertEqual(self.probe.cmd("held"), {"event": "held", "n": 0})

    def test_typing_many_new_keysyms(self):
        """More characters outside the keymap than one batch of spare
        keys (32) holds, with repeats: all arrive, in order."""
        cjk = "".join(chr(0x4e00 + i) for i in range(40))
        text = cjk + "x" + cjk[::-1]
        t0 = time.monotonic()
        self.assertEqual(self.probe.cmd("seq " + text)["event"], "ok")
        print(f"WLR type_ms_{len(text)}_cjk "
              f"{(time.monotonic() - t0) * 1000:.0f}", flush=True)
        self.settle("sym:", 2 * len(text), timeout=20)
        time.sleep(0.3)
        typed, _, _, _, _ = su.wev_events(self.wev_out)
        self.assertEqual(typed, text)

    def test_control_keys_and_modifiers(self):
        # Return (ControlKey 27), then Ctrl+a in Map mode as a client
        # sends it: Control_L (37) down, a (38), Control_L up.
        for c in ("control 27", "down 37", "key 38", "up 37"):
            self.assertEqual(self.probe.cmd(c)["event"], "ok", c)
        self.settle("sym:", 6)
        time.sleep(0.3)
        _, syms, _, _, _ = su.wev_events(self.wev_out)
        self.assertEqual(syms, ["Return", "Control_L", "a"], syms)
        with open(self.wev_out, errors="replace") as f:
            out = f.read()
        # wlroots takes a virtual keyboard's modifiers from us, not from
        # its keys: Control (mask 4) was applied while a went down, and
        # released after.
        part = out.split("sym: Control_L", 1)[1]
        self.assertRegex(part.split("key: 38")[0], r"depressed: 00000004")
        self.assertRegex(part.split("key: 38")[-1], r"depressed: 00000000")
        self.assertEqual(self.probe.cmd("held"), {"event": "held", "n": 0})

    def test_compositor_dies(self):
        self.assertEqual(self.probe.cmd("seq x")["event"], "ok")
        self.wev.stop()
        self.sway.kill()
        deadline = time.monotonic() + 10
        while True:
            e = self.probe.cmd("click 10 10")
            if e["event"] == "error" and e["status"] == OP_ERR_GONE:
                break
            self.assertLess(time.monotonic(), deadline, e)
            time.sleep(0.1)
        self.assertEqual(self.probe.close(), 0, "the probe crashed")


if __name__ == "__main__":
    main()
