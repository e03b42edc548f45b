#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Issue 19: a client that does not wait.  Stock RustDesk clients send
keys and their clipboard as soon as the session opens; these tests send
within 10 ms of the LoginResponse, before any video frame, through the
rendezvous server's local-address path (FetchLocalAddr) with
policy.consent allow, as the report that found the loss did:

  - typing "Zz-9?" in Map, Translate (the stock client's mix of
    positional keycodes and seq) and Legacy mode, plus non-ASCII
    (é, €, 中) in Translate and Legacy: the focused X window gets exactly
    that text;
  - the client's clipboard (MultiClipboards, zstd) right after login
    reaches the X CLIPBOARD;
  - a host clipboard change while the session is open, the client having
    sent nothing, reaches the client;
  - `outpost status` counts no dropped input for any of them, and counts
    (and the log explains) what is dropped: a KeyEvent with no key, and
    `unicode` in Translate mode (RustDesk ignores it, so do we).
Written from the protocol reference, not from the agent's code."""
import subprocess
import time

from agent import Agent
from common import TempDirCase, main

import client
import initiator
import video_util
import xrecorder
from rendezvous import RendezvousServer

PASSWORD = "early input password"
TEXT = "Zz-9?"


class EarlyCase(TempDirCase):
    def setUp(self):
        super().setUp()
        self.x = video_util.Xvfb(800, 600)
        self.addCleanup(self.x.stop)
        self.rec = xrecorder.Recorder(self.x.env).start()
        self.addCleanup(self.rec.stop)
        self.rs = RendezvousServer().start()        # same IP: local path
        self.agent = Agent.registered(
            self.tmp, self.rs, PASSWORD,
            display=f"display:\n  x11: \"{self.x.display}\"\n"
                    "  virtual:\n    mode: never\n",
            extra="policy:\n  consent:\n    when_user_present: allow\n"
                  "    when_no_user: allow\n"
                  "  allow:\n    keyboard: true\n    clipboard: both\n")

    def tearDown(self):
        code = self.agent.stop()
        self.rs.stop()
        super().tearDown()
        self.assertEqual(code, 0, self.agent.log()[-3000:])

    def login(self):
        """Logged in over the local path; returns the client right after
        the LoginResponse (nothing read after it)."""
        res = initiator.connect(self.rs.addr, self.rs.licence_key,
                                self.agent.id, "local")
        c = client.Client(res, keep_video=False)
        self.addCleanup(c.close)
        self.assertEqual(c.handshake(), "encrypted")
        pi = c.login(PASSWORD)
        self.t_login = time.monotonic()
        self.assertNotIsInstance(pi, str, c.summary())
        return c

    def assert_early(self, c):
        """The first message went out within 10 ms of the LoginResponse,
        and nothing was read after it (so no frame either)."""
        first = next(x.t for x in c.sent if x.kind in ("key_event", "multi_clipboards",
                                                       "clipboard"))
        self.assertLess(first - self.t_login, 0.010,
                        "the test sent too late to prove anything")
        self.assertEqual(c.video_frames(), [], "a frame came before the input")

    def typed(self, c, want, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.rec.text() != want:
            c.pump(0.05)
        return self.rec.text()

    def why(self, c):
        return (f"\nrecorder: {self.rec.events()[-30:]}\nclient: {c.summary()}"
                f"\nagent log:\n{self.agent.log()[-2500:]}")

    def dropped(self):
        return self.agent.status()["input"]["dropped"]

    def host_paste(self):
        p = subprocess.run(["xclip", "-selection", "clipboard", "-o"],
                           env=self.x.env, capture_output=True, timeout=5)
        return p.stdout if p.returncode == 0 else None


class EarlyKeys(EarlyCase):
    def check_typing(self, mode, text):
        c = self.login()
        c.type_text(text, mode)
        self.assert_early(c)
        self.assertEqual(self.typed(c, text), text, self.why(c))
        self.assertEqual(xrecorder.keys_down(self.x.display), [])
        self.assertEqual(self.dropped(), 0, self.why(c))

    def test_map(self):
        self.check_typing("map", TEXT)

    def test_translate_stock(self):
        self.check_typing("translate-stock", TEXT + "é€中")

    def test_translate_seq_only(self):
        self.check_typing("translate", TEXT + "é€中")

    def test_legacy(self):
        self.check_typing("legacy", TEXT + "é€")

    def test_dropped_keys_are_counted_and_explained(self):
        c = self.login()
        c.send_key(mode="translate", down=True, unicode_=ord("q"))
        c.send_message(client.key_msg("map", down=True))   # no key at all
        c.type_text("ok", "map")
        self.assertEqual(self.typed(c, "ok"), "ok", self.why(c))
        deadline = time.monotonic() + 5
        while self.dropped() < 2 and time.monotonic() < deadline:
            c.pump(0.1)
        self.assertEqual(self.dropped(), 2, self.why(c))
        log = self.agent.log_with("unicode in Translate mode")
        self.assertIn("unicode in Translate mode", log)


class EarlyClipboard(EarlyCase):
    def test_client_clipboard_right_after_login(self):
        c = self.login()
        c.send_clipboard("early clipboard " * 20, compress=True)
        self.assert_early(c)
        deadline = time.monotonic() + 5
        got = None
        while time.monotonic() < deadline:
            c.pump(0.1)
            got = self.host_paste()
            if got == ("early clipboard " * 20).encode():
                break
        self.assertEqual(got, ("early clipboard " * 20).encode(), self.why(c))
        self.assertEqual(self.dropped(), 0)

    def test_host_clipboard_while_client_is_silent(self):
        c = self.login()
        subprocess.run(["xclip", "-selection", "clipboard", "-i"],
                       input=b"from the host", env=self.x.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=10)
        deadline = time.monotonic() + 5
        while not c.clipboard_texts() and time.monotonic() < deadline:
            c.pump(0.1)
        self.assertEqual(c.clipboard_texts(), ["from the host"], self.why(c))
        # And a second change, after the first was read.
        subprocess.run(["xclip", "-selection", "clipboard", "-i"],
                       input=b"second", env=self.x.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=10)
        deadline = time.monotonic() + 5
        while len(c.clipboard_texts()) < 2 and time.monotonic() < deadline:
            c.pump(0.1)
        self.assertEqual(c.clipboard_texts(), ["from the host", "second"],
                         self.why(c))

    def test_rapid_host_changes_end_with_the_newest(self):
        """Changes that land while the agent is still reading the previous
        one are not lost: the client ends with what the host has."""
        c = self.login()
        procs = []
        for i in range(8):
            procs.append(subprocess.Popen(
                ["xclip", "-selection", "clipboard", "-i"], stdin=subprocess.PIPE,
                env=self.x.env, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL))
            procs[-1].stdin.write(f"change {i} ".encode() * 2000)
            procs[-1].stdin.close()
        for p in procs:
            p.wait(10)
        time.sleep(0.3)
        final = self.host_paste().decode()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (
                not c.clipboard_texts() or c.clipboard_texts()[-1] != final):
            c.pump(0.1)
        self.assertEqual(c.clipboard_texts()[-1:], [final],
                         f"{len(c.clipboard_texts())} received" + self.why(c))

    def test_both_directions_early_then_host_change(self):
        """The client's clipboard right after login makes the agent the
        owner; a later host change must still reach the client."""
        c = self.login()
        c.send_clipboard("client first")
        deadline = time.monotonic() + 5
        while self.host_paste() != b"client first" and time.monotonic() < deadline:
            c.pump(0.1)
        self.assertEqual(self.host_paste(), b"client first", self.why(c))
        subprocess.run(["xclip", "-selection", "clipboard", "-i"],
                       input=b"host after", env=self.x.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=10)
        deadline = time.monotonic() + 5
        while "host after" not in c.clipboard_texts() and time.monotonic() < deadline:
            c.pump(0.1)
        self.assertIn("host after", c.clipboard_texts(), self.why(c))


if __name__ == "__main__":
    main()
