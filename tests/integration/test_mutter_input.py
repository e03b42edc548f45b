#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Mutter input backend (issue 13 part 3) against a real headless
mutter (mutter_util.py), seen by a real Wayland client: gtk_client.py,
fullscreen (so its surface coordinates are the monitor's) and focused,
prints the keysym name of every key press and every button press with
its position. agent/input is driven by tests/tools/op-input-probe
through the same planners the session uses (Map mode for keys).

Checked: a click lands at the right position (left button); typed text
arrives as the right keysyms, including Shift levels (uppercase, '!');
an X keycode in Map mode (38 = 'a'); a named key (Return); nothing left
held; mutter killed -> the next event fails with "gone", no crash.

Not covered, because it does not work: a character missing from
Mutter's keymap (é with the us layout) is dropped by Mutter's
NotifyKeyboardKeysym ("No keycode found for keyval"); the wlr and X11
backends map such keysyms onto spare keys, this API cannot.

Skips (77) only when mutter, PipeWire or GTK's Python bindings are not
installed."""
import json
import os
import shutil
import time
import unittest

from common import SOURCE_DIR, main

import mutter_util as mu
import sway_util as su

PROBE = os.environ.get("OP_INPUT_PROBE", os.path.join(
    SOURCE_DIR, "build", "dev", "tests", "tools", "op-input-probe"))
OP_ERR_GONE = -20014
MODIFIERS = ("Shift_L", "Shift_R", "Control_L", "Alt_L", "ISO_Level3_Shift")


class Probe(su.JsonProbe):
    def __init__(self, runtime_dir):
        super().__init__([PROBE, "mutter", runtime_dir], events=False)

    def cmd(self, line):
        self.send(line)
        return json.loads(self.proc.stdout.readline())


@unittest.skipUnless(os.path.exists(PROBE), f"no {PROBE}")
@unittest.skipIf(mu.missing_tools(), f"not installed: {mu.missing_tools()}")
class MutterInput(unittest.TestCase):
    def setUp(self):
        self.tmp = su.user_tmp("op-mutin-")
        self.png = os.path.join(self.tmp, "pattern.png")
        su.write_png(self.png, su.pattern(*mu.MODE))
        self.mutter = mu.Mutter(log_dir=self.tmp).start()
        self.client = self.mutter.show_image(self.png)
        self.mutter.wait_line(self.client, "mapped")
        self.probe = Probe(self.mutter.runtime_dir)
        self.assertEqual(self.probe.first.get("event"), "ready",
                         self.probe.first)
        # Mutter gives a new window no keyboard focus by itself here:
        # a click focuses it, as a user's would.
        # Mutter adds the pointer and the keyboard to the seat with their
        # first event, which the client may not get: repeat a click (it
        # also focuses the window, which Mutter does not do by itself
        # here) and a Shift tap until the client sees them.
        self.warm_up("click 5 5", "button 1 5 5")
        self.warm_up("key 50", "key Shift_L")

    def tearDown(self):
        if self.probe.proc.poll() is None:
            self.assertEqual(self.probe.close(), 0, "the probe failed")
        if self.client.poll() is None:
            self.client.kill()
            self.client.wait(5)
        self.mutter.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def warm_up(self, command, seen, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            self.ok(command)
            try:
                self.mutter.wait_line(self.client, seen, timeout=1)
                return
            except TimeoutError:
                self.assertLess(time.monotonic(), deadline,
                                f"the client never saw {seen!r}")

    def ok(self, line):
        e = self.probe.cmd(line)
        self.assertEqual(e, {"event": "ok"}, line)

    def keys(self, n, timeout=10):
        """The next n non-modifier key presses the client saw."""
        out = []
        while len(out) < n:
            try:
                line = self.mutter.wait_line(self.client, "key ", timeout)
            except TimeoutError:
                self.fail(f"the client saw only {out}, not {n} keys")
            name = line.split(" ", 1)[1]
            if name not in MODIFIERS:
                out.append(name)
        return out

    def test_click(self):
        self.ok("click 321 123")
        self.assertEqual(self.mutter.wait_line(self.client, "button "),
                         "button 1 321 123")
        self.ok("click 1279 719")
        self.assertEqual(self.mutter.wait_line(self.client, "button "),
                         "button 1 1279 719")
        self.assertEqual(self.probe.cmd("held")["n"], 0)

    def test_typing(self):
        self.ok("seq Hi, you!")
        self.assertEqual(self.keys(8), ["H", "i", "comma", "space", "y",
                                        "o", "u", "exclam"])
        self.ok("key 38")
        self.assertEqual(self.keys(1), ["a"])
        self.ok("control 27")
        self.assertEqual(self.keys(1), ["Return"])
        self.assertEqual(self.probe.cmd("held")["n"], 0)

    def test_mutter_dies(self):
        self.ok("seq x")
        self.assertEqual(self.keys(1), ["x"])
        self.mutter.procs["mutter"].kill()
        self.mutter.procs["mutter"].wait(10)
        time.sleep(0.5)
        e = self.probe.cmd("seq y")
        self.assertEqual(e.get("status"), OP_ERR_GONE, e)
        self.assertIsNone(self.probe.proc.poll(), "the probe died")


if __name__ == "__main__":
    main()
