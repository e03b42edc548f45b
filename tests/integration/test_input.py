#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Keyboard and mouse injection end to end (protocol reference §9, §13.2,
§17 items 20 and 21): a real Xvfb, a focused window that records what an X
application receives (xrecorder.py), the agent streaming that display, and
the independent test client logged in over direct IP.

  - text in each keyboard mode: Map (X keycodes, Shift held for 'A!'),
    Translate (seq "héllo €"), Legacy (chr per character, a shifted and a
    non-ASCII one; unicode and seq);
  - Ctrl+C in Legacy (control_key Control + chr 'c') and Map (37 + 54):
    the 'c' arrives with ControlMask;
  - clicks (left/right/middle -> X buttons 1/3/2, back/forward -> 8/9) at
    the right place, a drag, the wheel (y>0 -> 4, y<0 -> 5, x>0 -> 6,
    x<0 -> 7);
  - policy.allow.keyboard false: PermissionInfo Keyboard=false, nothing
    reaches X, the audit trail counts the dropped input;
  - a client that vanishes with Shift and Control held leaves no key down;
  - invalid key codes, coordinates outside every display, an absurd wheel:
    nothing injected, the session goes on;
  - 10000 mouse moves as fast as possible while the screen changes: the
    stream and `outpost status` keep answering;
  - Caps Lock as a lock state in `modifiers`: 'a' becomes 'A', the host's
    Caps Lock is back off afterwards.
Written from the protocol reference, not from the agent's code."""
import json
import os
import shutil
import socket
import struct
import subprocess
import threading
import time

from agent import Agent
from desktop_case import DesktopCase
from common import TempDirCase, main, run

import client
import video_util
import xrecorder

PASSWORD = "input test password"
SHIFT_L, CONTROL_L, CAPS_LOCK = 50, 37, 66
KC = client.US_KEYMAP
MARK = KC["z"][0]               # a key sent last: everything before it is done
BAD_XY = ((50000, 100), (100, 50000), (-50000, -50000), (2**31 - 1, -2**31))


def printable(evs):
    return [e for e in evs if e["type"] == "key_press" and e.get("string")]


class InputCase(DesktopCase):
    PASSWORD = PASSWORD

    def prepare_screen(self):
        self.rec = xrecorder.Recorder(self.x.env).start()
        self.addCleanup(self.rec.stop)

    def connect(self, **kw):
        return self.login(dict(keep_video=False, **kw), pump=0.3)[0]

    def why(self, c=None):
        evs = [{k: v for k, v in e.items() if k not in ("t", "time")}
               for e in self.rec.events() if e["type"] != "motion"][-40:]
        return (f"\nrecorder: {json.dumps(evs)}\n"
                + (f"client: {c.summary()}\n" if c is not None else "")
                + f"agent log:\n{self.agent.log()[-2500:]}")

    def mark(self, c, timeout=5):
        """Sends the marker key (Map 'z') and waits until the window got
        its press; returns the events before it.  Input is processed in
        order, so whatever was sent earlier has been injected (or dropped)
        by then."""
        since = self.rec.count()
        c.key_map_tap(MARK)
        ev = self.rec.wait_for(lambda e: e["type"] == "key_press"
                               and e["keycode"] == MARK, timeout, since=since)
        c.pump(0.05)
        self.assertIsNotNone(ev, "the marker key never arrived" + self.why(c))
        self.rec.wait_for(lambda e: e["type"] == "key_release"
                          and e["keycode"] == MARK, 1, since=since)
        evs = self.rec.events()
        return evs[:evs.index(ev)]

    def typed(self, c, want, timeout=5):
        """Waits until the recorder's text is `want` (or the marker shows
        that everything arrived)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.rec.text() != want:
            c.pump(0.05)
        return self.rec.text()


class Keyboard(InputCase):
    def test_map_mode_text(self):
        c = self.connect()
        c.type_text("hello", "map")
        c.type_text("A!", "map")
        got = self.typed(c, "helloA!")
        self.assertEqual(got, "helloA!", self.why(c))
        presses = printable(self.rec.events())
        self.assertEqual([e["keysym"] for e in presses],
                         [ord(ch) for ch in "helloA!"])
        self.assertEqual([e["keycode"] for e in presses],
                         [KC[ch][0] for ch in "helloA!"])
        for e in presses[5:]:
            self.assertTrue(e["state"] & 1, f"no ShiftMask: {e}")
        shift_at = [i for i, e in enumerate(self.rec.events())
                    if e["type"] == "key_press" and e["keycode"] == SHIFT_L]
        self.assertTrue(shift_at, self.why(c))
        self.mark(c)
        self.assertEqual(xrecorder.keys_down(self.x.display), [])
        c.close()

    def test_translate_seq(self):
        c = self.connect()
        c.key_translate_seq("héllo €")
        got = self.typed(c, "héllo €")
        self.assertEqual(got, "héllo €", self.why(c))
        self.assertEqual([e["string"] for e in printable(self.rec.events())],
                         list("héllo €"))
        self.mark(c)
        self.assertEqual(xrecorder.keys_down(self.x.display), [])
        c.close()

    def test_translate_chr_is_positional(self):
        c = self.connect()
        c.key_translate_chr(KC["q"][0], True)
        c.key_translate_chr(KC["q"][0], False)
        self.assertEqual(self.typed(c, "q"), "q", self.why(c))
        c.close()

    def test_legacy_chars(self):
        c = self.connect()
        c.type_text("aB é!", "legacy")
        got = self.typed(c, "aB é!")
        self.assertEqual(got, "aB é!", self.why(c))
        presses = printable(self.rec.events())
        self.assertEqual([e["keysym"] for e in presses],
                         [0x61, 0x42, 0x20, 0xe9, 0x21])
        self.mark(c)
        self.assertEqual(xrecorder.keys_down(self.x.display), [])
        c.close()

    def test_legacy_unicode_and_seq(self):
        c = self.connect()
        c.key_legacy_unicode("ü")
        c.key_legacy_seq("ok")
        got = self.typed(c, "üok")
        self.assertEqual(got, "üok", self.why(c))
        c.close()

    def test_ctrl_c_legacy(self):
        c = self.connect()
        c.key_legacy_control("Control", down=True)
        c.key_legacy_char("c", True, modifiers=["Control"])
        c.key_legacy_char("c", False, modifiers=["Control"])
        c.key_legacy_control("Control", down=False)
        before = self.mark(c)
        cs = [e for e in before if e["type"] == "key_press"
              and e["keysym"] in (0x63, 0x43)]
        self.assertEqual(len(cs), 1, self.why(c))
        self.assertTrue(cs[0]["state"] & 4, f"no ControlMask: {cs[0]}")
        self.assertEqual(xrecorder.keys_down(self.x.display), [])
        c.close()

    def test_ctrl_c_map(self):
        c = self.connect()
        c.key_map(CONTROL_L, True)
        c.key_map(KC["c"][0], True, ["Control"])
        c.key_map(KC["c"][0], False, ["Control"])
        c.key_map(CONTROL_L, False)
        before = self.mark(c)
        cs = [e for e in before if e["type"] == "key_press"
              and e["keycode"] == KC["c"][0]]
        self.assertEqual(len(cs), 1, self.why(c))
        self.assertTrue(cs[0]["state"] & 4, f"no ControlMask: {cs[0]}")
        ctl = [e for e in before if e.get("keycode") == CONTROL_L]
        self.assertEqual([e["type"] for e in ctl],
                         ["key_press", "key_release"], self.why(c))
        self.assertEqual(xrecorder.keys_down(self.x.display), [])
        c.close()

    def test_caps_lock_state(self):
        self.assertFalse(xrecorder.lock_state(self.x.display)["caps"])
        c = self.connect()
        c.key_legacy_char("a", True, modifiers=["CapsLock"])
        c.key_legacy_char("a", False, modifiers=["CapsLock"])
        c.key_map(KC["b"][0], True, ["CapsLock"])
        c.key_map(KC["b"][0], False, ["CapsLock"])
        before = self.mark(c)
        got = "".join(e["string"] for e in printable(before))
        self.assertEqual(got, "AB", self.why(c))
        deadline = time.monotonic() + 2
        while (xrecorder.lock_state(self.x.display)["caps"]
               and time.monotonic() < deadline):
            time.sleep(0.05)
        st = xrecorder.lock_state(self.x.display)
        self.assertFalse(st["caps"], f"Caps Lock left on: {st}")
        # The marker itself was typed with Caps Lock off again.
        z = self.rec.events("key_press")[-1]
        self.assertEqual(z["string"], "z", z)
        c.close()


class Mouse(InputCase):
    def press_release(self, since, button, timeout=5):
        rel = self.rec.wait_for(lambda e: e["type"] == "button_release"
                                and e["button"] == button, timeout, since=since)
        prs = [e for e in self.rec.events("button_press", since)
               if e["button"] == button]
        return (prs[0] if prs else None), rel

    def test_clicks(self):
        c = self.connect()
        for button, xb, (x, y) in (("left", 1, (100, 150)),
                                   ("right", 3, (640, 360)),
                                   ("middle", 2, (1200, 700))):
            since = self.rec.count()
            c.click(x, y, button)
            p, r = self.press_release(since, xb)
            self.assertIsNotNone(r, f"{button}: no release" + self.why(c))
            self.assertIsNotNone(p, f"{button}: no press" + self.why(c))
            self.assertEqual((p["root_x"], p["root_y"]), (x, y), p)
            self.assertEqual((r["root_x"], r["root_y"]), (x, y), r)
            others = [e["button"] for e in self.rec.events(
                ("button_press", "button_release"), since)
                if e["button"] != xb]
            self.assertEqual(others, [], self.why(c))
        self.assertEqual(xrecorder.pointer_state(self.x.display)[:2],
                         (1200, 700))
        c.close()

    def test_back_forward(self):
        c = self.connect()
        for button, xb in (("back", 8), ("forward", 9)):
            since = self.rec.count()
            c.click(300, 200, button)
            p, r = self.press_release(since, xb)
            self.assertIsNotNone(p, f"{button}: no X button {xb}" + self.why(c))
            self.assertIsNotNone(r, f"{button}: no release" + self.why(c))
        c.close()

    def test_drag(self):
        c = self.connect()
        since = self.rec.count()
        c.drag(100, 100, 400, 300, steps=10)
        p, r = self.press_release(since, 1)
        self.assertIsNotNone(r, self.why(c))
        self.assertEqual((p["root_x"], p["root_y"]), (100, 100), p)
        self.assertEqual((r["root_x"], r["root_y"]), (400, 300), r)
        evs = self.rec.events(since=since)
        i0, i1 = evs.index(p), evs.index(r)
        held = [e for e in evs[i0:i1] if e["type"] == "motion"]
        self.assertTrue(held, "no motion between press and release")
        self.assertTrue(all(e["state"] & 0x100 for e in held),
                        "motion without Button1Mask during the drag")
        self.assertEqual((held[-1]["root_x"], held[-1]["root_y"]), (400, 300))
        self.assertTrue(r["state"] & 0x100)
        c.close()

    def test_wheel(self):
        c = self.connect()
        c.mouse_move(500, 400)
        for dx, dy, xb in ((0, 1, 4), (0, -1, 5), (1, 0, 6), (-1, 0, 7)):
            since = self.rec.count()
            c.wheel(dx, dy)
            before = self.mark(c)[since:]
            got = [e["button"] for e in before if e["type"] == "button_press"]
            self.assertEqual(got, [xb], f"wheel x={dx} y={dy}" + self.why(c))
        since = self.rec.count()
        c.wheel(0, 3)
        before = self.mark(c)[since:]
        self.assertEqual([e["button"] for e in before
                          if e["type"] == "button_press"], [4, 4, 4])
        c.close()


class BadInput(InputCase):
    def test_invalid_codes_and_coordinates(self):
        c = self.connect()
        c.mouse_move(640, 360)
        self.mark(c)
        pos = xrecorder.pointer_state(self.x.display)

        def keys():
            for kc in (3, 300, 0, 2**32 - 1):
                c.key_map(kc, True)
                c.key_map(kc, False)
                c.key_translate_chr(kc, True)
                c.key_translate_chr(kc, False)
            c.key_legacy_char(0x110000, True)      # beyond Unicode
            c.key_legacy_control(999, True)        # no such ControlKey

        def moves():
            for x, y in BAD_XY:
                c.mouse_move(x, y)

        def clicks():
            for x, y in BAD_XY:
                c.mouse_down("left", x, y)
                c.mouse_up("left", x, y)

        def wheels():
            c.wheel(0, 100000)
            c.wheel(-100000, 0)

        def odd_masks():
            c.send_mouse_event(10, 10, mask=(0x40 << 3) | 1)  # no such button
            c.send_mouse_event(10, 10, mask=7)                 # reserved type
        problems = []
        for name, fn in (("invalid key codes", keys),
                         ("moves outside every display", moves),
                         ("DOWN/UP outside every display", clicks),
                         ("wheel of 100000 notches", wheels),
                         ("unknown button / reserved type", odd_masks)):
            self.rec.clear()
            fn()
            got = [e for e in self.mark(c) if e["type"] != "motion"]
            if got:
                problems.append(f"{name}: injected {got[:6]}")
            if xrecorder.pointer_state(self.x.display)[:2] != pos[:2]:
                problems.append(f"{name}: the pointer moved to "
                                f"{xrecorder.pointer_state(self.x.display)}")
                c.mouse_move(*pos[:2])
            self.assertFalse(c.closed, f"{name}: session ended {c.summary()}")
        self.assertEqual(problems, [], self.why(c))
        self.assertEqual(xrecorder.keys_down(self.x.display), [])
        # Still alive: a valid key afterwards arrives.
        self.rec.clear()
        c.type_text("ok", "map")
        self.assertEqual(self.typed(c, "ok"), "ok", self.why(c))
        c.close()


class StuckModifiers(InputCase):
    def test_disconnect_mid_keypress(self):
        c = self.connect()
        c.key_map(SHIFT_L, True)
        # Legacy events release held modifiers they do not list (§9.2).
        c.key_legacy_control("Control", down=True, modifiers=["Shift"])
        ok = self.rec.wait_for(lambda e: e["type"] == "key_press"
                               and e["keycode"] == CONTROL_L, 5)
        self.assertIsNotNone(ok, self.why(c))
        down = xrecorder.keys_down(self.x.display)
        self.assertIn(SHIFT_L, down)
        self.assertIn(CONTROL_L, down)
        # Abrupt end: RST, no close_reason.
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                          struct.pack("ii", 1, 0))
        c.close()
        deadline = time.monotonic() + 5
        while xrecorder.keys_down(self.x.display) and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(xrecorder.keys_down(self.x.display), [],
                         "keys still down after the client vanished" + self.why())
        for kc in (SHIFT_L, CONTROL_L):
            self.assertIsNotNone(self.rec.wait_for(
                lambda e: e["type"] == "key_release" and e["keycode"] == kc, 1),
                f"no release of keycode {kc}" + self.why())
        self.assertEqual(xrecorder.pointer_state(self.x.display)[2] & 0xff, 0)


class IdleTimeout(InputCase):
    extra = "policy:\n  limits:\n    idle_timeout: 3s\n"

    def test_input_keeps_it_open_silence_closes_it(self):
        c = self.connect()
        t0 = time.monotonic()
        for _ in range(4):  # 4 s of activity, one move per second
            c.mouse_move(10, 10)
            self.assertTrue(c.pump(1.0), c.summary())
        last = time.monotonic()
        waited = c.wait_closed(timeout=8)
        self.assertIsNotNone(waited, c.summary())
        gone = time.monotonic() - last
        self.assertEqual(c.close_reason, "Connection failed due to inactivity")
        self.assertGreater(gone, 2.0)
        self.assertLess(gone, 6.0)
        self.assertGreater(time.monotonic() - t0, 6.0)


class LockAfterSession(TempDirCase):
    """lock_after_session_end reaches logind: a private D-Bus daemon
    stands in for the system bus (DBUS_SYSTEM_BUS_ADDRESS) and
    dbus-monitor records the agent's LockSession call. The user is
    "present" through the consent test hook, as in test_consent_session,
    whose fake logind session is called "test"."""

    def setUp(self):
        super().setUp()
        if not shutil.which("dbus-daemon") or not shutil.which("dbus-monitor"):
            self.skipTest("dbus-daemon / dbus-monitor not installed")
        self.x = video_util.Xvfb(640, 480)
        self.addCleanup(self.x.stop)
        addr = f"unix:path={self.tmp}/bus"
        self.bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", f"--address={addr}",
             "--print-address"], stdout=subprocess.PIPE, text=True)
        self.addCleanup(self.bus.kill)
        self.bus.stdout.readline()  # listening
        self.mon_out = open(f"{self.tmp}/monitor.txt", "w")
        self.mon = subprocess.Popen(["dbus-monitor", "--address", addr],
                                    stdout=self.mon_out,
                                    stderr=subprocess.DEVNULL)
        self.addCleanup(self.mon.kill)
        time.sleep(0.3)
        for k, v in (("DBUS_SYSTEM_BUS_ADDRESS", addr),
                     ("OUTPOST_CONSENT_TEST_DISPLAY", self.x.display)):
            os.environ[k] = v
            self.addCleanup(os.environ.pop, k, None)
        # display.x11 unset: the display is the "logged-in" user's.
        self.agent = Agent(
            self.tmp, display="display:\n  virtual:\n    mode: never\n",
            extra="policy:\n  consent:\n    when_user_present: allow\n")
        self.agent.set_password(PASSWORD + "\n")
        self.agent.start()
        self.agent.wait_status(lambda s: "display" in s)

    def tearDown(self):
        self.assertEqual(self.agent.stop(), 0, self.agent.log()[-2000:])
        super().tearDown()

    def test_lock_requested_on_leave(self):
        c = client.Client(("127.0.0.1", self.agent.direct_port), direct=True)
        opt = client.option_message(lock_after_session_end="Yes")
        self.assertNotIsInstance(c.login(PASSWORD, option=opt), str,
                                 c.summary())
        c.wait_video(1, timeout=10)
        self.assertEqual(self.agent.status()["display"]["source"], "logind")
        c.close()
        deadline = time.monotonic() + 5
        text = ""
        while time.monotonic() < deadline and "LockSession" not in text:
            time.sleep(0.1)
            with open(f"{self.tmp}/monitor.txt") as f:
                text = f.read()
        self.assertIn("interface=org.freedesktop.login1.Manager; "
                      "member=LockSession", text, self.agent.log()[-1500:])
        call = text[text.index("member=LockSession"):]
        self.assertIn('string "test"', call.split("\n\n")[0] + call[:300])
        # A session without the option locks nothing.
        n = text.count("member=LockSession")
        c = client.Client(("127.0.0.1", self.agent.direct_port), direct=True)
        self.assertNotIsInstance(c.login(PASSWORD), str, c.summary())
        c.wait_video(1, timeout=10)
        c.close()
        time.sleep(1.0)
        with open(f"{self.tmp}/monitor.txt") as f:
            self.assertEqual(f.read().count("member=LockSession"), n)


class Withdrawn(InputCase):
    def test_reload_withdraws_keyboard_live(self):
        c = self.connect()
        c.key_map(SHIFT_L, True)
        self.assertIsNotNone(self.rec.wait_for(
            lambda e: e["type"] == "key_press" and e["keycode"] == SHIFT_L,
            5), self.why(c))
        with open(self.agent.config, "a") as f:
            f.write("policy:\n  allow:\n    keyboard: false\n")
        p = run(["-c", self.agent.config, "reload"])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        deadline = time.monotonic() + 5
        while c.permissions.get("Keyboard") is not False and \
                time.monotonic() < deadline:
            c.pump(0.1)
        self.assertIs(c.permissions.get("Keyboard"), False, c.summary())
        # The held Shift was released, and nothing more gets through.
        self.assertIsNotNone(self.rec.wait_for(
            lambda e: e["type"] == "key_release" and e["keycode"] == SHIFT_L,
            5), self.why(c))
        self.assertEqual(xrecorder.keys_down(self.x.display), [])
        since = self.rec.count()
        c.type_text("abc", "map")
        c.click(100, 100)
        c.pump(0.5)
        self.assertEqual([e for e in self.rec.events(since=since)
                          if e["type"] in ("key_press", "button_press")], [])
        self.assertFalse(c.closed)
        c.close()


class Denied(InputCase):
    extra = "policy:\n  allow:\n    keyboard: false\n"

    def test_keyboard_permission_off(self):
        c = self.connect()
        self.assertIs(c.permissions.get("Keyboard"), False, c.summary())
        since = self.rec.count()
        c.type_text("abc", "map")
        c.type_text("abc", "legacy")
        c.key_translate_seq("xyz")
        c.click(200, 200)
        c.click(300, 300, "right")
        c.wheel(0, 1)
        c.drag(10, 10, 500, 500, steps=5)
        n_sent = len(c.sent)
        c.pump(1.5)
        self.assertEqual(self.rec.events(since=since), [],
                         "input went through" + self.why(c))
        self.assertFalse(c.closed, c.summary())
        c.close()
        self.assertEqual(self.agent.stop(), 0, self.agent.log()[-2000:])
        ex = run(["-c", self.agent.config, "audit", "export", "--format",
                  "jsonl"])
        self.assertEqual(ex.returncode, 0, ex.stderr)
        rows = [json.loads(ln) for ln in ex.stdout.splitlines() if ln.strip()]
        blocked = [r for r in rows if r["type"] == "session.blocked"]
        self.assertTrue(blocked, [r["type"] for r in rows])
        counts = {}

        def walk(d, path=""):
            for k, v in (d.items() if isinstance(d, dict) else ()):
                if isinstance(v, dict):
                    walk(v, path + k + ".")
                elif isinstance(v, (int, float)) and "dropped" in k:
                    counts[path + k] = v
        for r in blocked:
            walk(r.get("fields") or {})
        print(f"session.blocked counts: {counts} ({n_sent} frames sent "
              "in total)")
        self.assertTrue(counts and max(counts.values()) > 0, blocked)
        if "dropped_input" in counts:
            self.assertGreaterEqual(counts["dropped_input"], 20, counts)


class Flood(InputCase):
    def test_flood_while_streaming(self):
        term = video_util.start_xterm(
            self.x.display, "60x10+700+400",
            "while :; do date +%s.%N; sleep 0.02; done")
        self.addCleanup(video_util.stop_process, term)
        c = self.connect()
        c.wait_video(1, timeout=10)
        c.pump(0.5)
        status_times = []
        stop = threading.Event()

        def poll_status():
            # The control socket directly: what is measured is the agent's
            # loop, not how long `outpost status` takes to start.
            while not stop.is_set():
                t = time.monotonic()
                try:
                    d, st = self.agent.status_rtt()
                    status_times.append((t, d, "video" in st))
                except (OSError, ValueError):
                    status_times.append((t, time.monotonic() - t, False))
                time.sleep(0.02)
        th = threading.Thread(target=poll_status, daemon=True)
        n = 10000
        last = ((n - 1) * 7 % self.W, (n - 1) * 3 % self.H)
        t0 = time.monotonic()
        th.start()
        out = c.flood_input(n, "mouse", area=(self.W, self.H))
        t_sent = time.monotonic()
        # The flood is over once the last move has been injected.
        deadline = time.monotonic() + 20
        while xrecorder.pointer_state(self.x.display)[:2] != last and \
                time.monotonic() < deadline and not c.closed:
            c.pump(0.02)
        t_done = time.monotonic()
        c.pump(0.2)
        stop.set()
        th.join(5)
        self.assertFalse(c.closed, c.summary())
        reached = xrecorder.pointer_state(self.x.display)[:2] == last
        window_end = max(t_done, t0 + 0.5)
        during = [v for v in c.video_frames() if t0 <= v.t <= window_end]
        slow = max((d for _, d, _ in status_times), default=None)
        print(f"flood: {n} moves written in {t_sent - t0:.3f} s, injected by "
              f"{t_done - t0:.3f} s (last position reached: {reached}); "
              f"{len(during)} video frames in the flood window; "
              f"{len(status_times)} status calls, slowest {slow}")
        self.assertTrue(reached, "the last move never arrived" + self.why(c))
        self.assertGreater(len(during), 0, "no video during the flood")
        self.assertTrue(status_times, "no status call completed")
        self.assertTrue(all(ok for _, _, ok in status_times), status_times)
        # Input is handled SESSION_FRAMES_PER_TURN messages per loop turn,
        # so the loop answers within a few turns even mid-flood.
        self.assertLess(slow, 0.25, status_times)
        # Latency of a change after the flood, on a quiet screen.
        video_util.stop_process(term)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            k = len(c.video_frames())
            c.pump(0.6)
            if len(c.video_frames()) == k:
                break
        k = len(c.video_frames())
        t1 = time.monotonic()
        self.rec.fill("ff4000")
        c.wait_video(k + 1, timeout=5)
        lat = c.video_frames()[k].t - t1
        print(f"change -> frame after the flood: {lat * 1000:.0f} ms")
        self.assertLess(lat, 1.0)
        # And input still works.
        c.type_text("ok", "map")
        got = self.typed(c, "ok")
        self.assertTrue(got.endswith("ok"), self.why(c))
        self.assertEqual(out["sent"], n)
        c.close()


if __name__ == "__main__":
    main()
