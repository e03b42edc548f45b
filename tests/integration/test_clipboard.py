#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Clipboard sync end to end (protocol reference §10, §13.2): a real Xvfb
whose CLIPBOARD selection is set and read with xclip, the agent serving
that display, the independent test client logged in over direct IP.

  - host -> client: MultiClipboards for a client >= 1.3.0 (Text entry,
    zstd-decompressed when flagged), a single Clipboard for a 1.2.0 client;
  - client -> host: MultiClipboards, single Clipboard, zstd-compressed;
  - PNG both ways (format ImagePng = 22), when the agent offers images;
  - policy.allow.clipboard to_host / to_client / off: only the allowed
    direction flows; off announces PermissionInfo Clipboard=false;
  - policy.limits.clipboard_max_kb: 64: 200 KiB from the client is refused
    with a MessageBox about the size limit, 200 KiB on the host is not sent;
  - hostile content (not zstd, a zstd bomb, format 9999, empty, Special
    only): the session survives and the host clipboard is untouched.
Written from the protocol reference, not from the agent's code."""
import base64
import os
import subprocess
import time

from desktop_case import DesktopCase
from common import main

import client

PASSWORD = "clipboard test password"
TEXT, PNG = 0, 22


def png_file(path, size="16x16", colour="red"):
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    f"color=c={colour}:s={size}", "-frames:v", "1", "-f",
                    "image2", "-vcodec", "png", "-y", path], check=True,
                   timeout=30)
    with open(path, "rb") as f:
        return f.read()


def random_text(n):
    """n bytes of incompressible ASCII."""
    return base64.b64encode(os.urandom(n))[:n].decode()


class ClipboardCase(DesktopCase):
    PASSWORD = PASSWORD
    W, H = 640, 480

    def connect(self, **login_fields):
        return self.login(dict(keep_video=False), pump=0.5,
                          **login_fields)[0]

    def why(self, c=None):
        return ((f"\nclient: {c.summary()}" if c is not None else "")
                + f"\nagent log:\n{self.agent.log()[-2500:]}")

    # -------------------------------------------------- host clipboard
    def host_copy(self, data, target=None):
        """Sets the host's CLIPBOARD with xclip (which stays in the
        background serving it until someone else takes the selection)."""
        if isinstance(data, str):
            data = data.encode()
        args = ["xclip", "-selection", "clipboard", "-i"]
        if target:
            args += ["-t", target]
        subprocess.run(args, input=data, env=self.x.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=10)

    def host_paste(self, target="UTF8_STRING", timeout=3):
        """The host's CLIPBOARD as bytes, None if nobody serves it."""
        try:
            p = subprocess.run(["xclip", "-selection", "clipboard", "-o",
                                "-t", target], env=self.x.env,
                               capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return p.stdout if p.returncode == 0 else None

    def host_targets(self):
        out = self.host_paste("TARGETS")
        return out.decode(errors="replace").split() if out else []

    def wait_host(self, c, want, target="UTF8_STRING", timeout=5):
        if isinstance(want, str):
            want = want.encode()
        deadline = time.monotonic() + timeout
        got = None
        while time.monotonic() < deadline:
            got = self.host_paste(target)
            if got == want:
                return got
            c.pump(0.1)
        return got

    def host_stays(self, c, want, wait=1.5):
        """Pumps the client for `wait` s, then returns the host clipboard
        (which the caller expects to still be `want`)."""
        c.pump(wait)
        got = self.host_paste()
        return got, (want.encode() if isinstance(want, str) else want)

    def wait_text(self, c, text, timeout=5, since=0):
        want = text.encode()
        try:
            return c.wait_clipboard(lambda r: r.fmt == TEXT and r.data == want,
                                    timeout=timeout, since=since)
        except TimeoutError:
            return None


class Both(ClipboardCase):
    def test_host_to_client_multi(self):
        c = self.connect()
        self.host_copy("héllo from host")
        r = self.wait_text(c, "héllo from host")
        self.assertIsNotNone(r, "no Text entry" + self.why(c))
        self.assertTrue(r.multi, "a 1.4.9 client must get MultiClipboards")
        self.assertEqual(c.messages("clipboard"), [],
                         "single Clipboard sent to a 1.4.9 client")
        # A longer text: compressed or not, it arrives intact.
        n = len(c.clipboards_received)
        big = "Outpost clipboard line.\n" * 2000
        self.host_copy(big)
        r = self.wait_text(c, big, since=n)
        self.assertIsNotNone(r, "48 KB text did not arrive" + self.why(c))
        print(f"48 KB host text: compressed={r.compressed}")
        self.assertEqual(c.clipboard_errors, [])
        c.close()

    def test_host_to_old_client_single(self):
        c = self.connect(version="1.2.0")
        self.host_copy("héllo from host")
        r = self.wait_text(c, "héllo from host")
        self.assertIsNotNone(r, "no Text" + self.why(c))
        self.assertFalse(r.multi, "a 1.2.0 client gets a single Clipboard")
        self.assertEqual(c.messages("multi_clipboards"), [])
        c.close()

    def test_client_to_host(self):
        c = self.connect()
        c.send_clipboard("héllo from client", multi=True)
        self.assertEqual(self.wait_host(c, "héllo from client"),
                         "héllo from client".encode(), self.why(c))
        c.send_clipboard("legacy single Clipboard", multi=False)
        self.assertEqual(self.wait_host(c, "legacy single Clipboard"),
                         b"legacy single Clipboard", self.why(c))
        text = "zstd compressed ünïcode line\n" * 500
        c.send_clipboard(text, multi=True, compress=True)
        self.assertTrue(c.sent[-1].msg.multi_clipboards.clipboards[0].compress)
        self.assertEqual(self.wait_host(c, text), text.encode(), self.why(c))
        c.send_clipboard("single and compressed " * 50, multi=False,
                         compress=True)
        self.assertEqual(self.wait_host(c, "single and compressed " * 50),
                         ("single and compressed " * 50).encode(), self.why(c))
        # What the client set is not echoed back to it as a host change.
        c.pump(1.0)
        echoed = [r for r in c.clipboards_received if r.fmt == TEXT and
                  r.data in (text.encode(), b"legacy single Clipboard")]
        print(f"echoes of client clipboards: {len(echoed)}")
        self.assertFalse(c.closed)
        c.close()

    def test_png_both_ways(self):
        png = png_file(os.path.join(self.tmp, "a.png"), "16x16", "red")
        c = self.connect()
        self.host_copy(png, target="image/png")
        try:
            r = c.wait_clipboard(lambda r: r.fmt == PNG, timeout=5)
        except TimeoutError:
            r = None
        if r is None:
            self.skipTest("the agent sends no ImagePng (images not "
                          "supported?)" + self.why(c)[:300])
        self.assertEqual(r.data[:8], b"\x89PNG\r\n\x1a\n")
        self.assertEqual(client.png_size(r.data), (16, 16))
        print(f"host PNG -> client: {len(r.data)} bytes, identical "
              f"{r.data == png}, compressed {r.compressed}")
        png2 = png_file(os.path.join(self.tmp, "b.png"), "24x8", "blue")
        c.send_clipboard(png2, fmt="png")
        got = self.wait_host(c, png2, target="image/png")
        self.assertIsNotNone(got, "no image/png on the host: targets "
                             f"{self.host_targets()}" + self.why(c))
        self.assertEqual(client.png_size(got), (24, 8))
        c.close()


class ToHost(ClipboardCase):
    extra = "policy:\n  allow:\n    clipboard: to_host\n"

    def test_only_client_to_host(self):
        c = self.connect()
        self.host_copy("host secret")
        c.pump(2.0)
        self.assertEqual(c.clipboards_received, [],
                         "host clipboard leaked to the client")
        c.send_clipboard("from the technician")
        self.assertEqual(self.wait_host(c, "from the technician"),
                         b"from the technician", self.why(c))
        c.pump(1.0)
        self.assertEqual(c.clipboards_received, [])
        c.close()


class ToClient(ClipboardCase):
    extra = "policy:\n  allow:\n    clipboard: to_client\n"

    def test_only_host_to_client(self):
        c = self.connect()
        self.host_copy("host text")
        self.assertIsNotNone(self.wait_text(c, "host text"), self.why(c))
        c.send_clipboard("must not arrive")
        c.send_clipboard("must not arrive either", multi=False)
        got, want = self.host_stays(c, "host text")
        self.assertEqual(got, want, "client clipboard reached the host")
        self.assertFalse(c.closed)
        c.close()


class Off(ClipboardCase):
    extra = "policy:\n  allow:\n    clipboard: off\n"

    def test_neither_direction(self):
        c = self.connect()
        self.assertIs(c.permissions.get("Clipboard"), False, c.summary())
        self.host_copy("host text")
        c.pump(2.0)
        self.assertEqual(c.clipboards_received, [])
        c.send_clipboard("must not arrive")
        got, want = self.host_stays(c, "host text")
        self.assertEqual(got, want)
        self.assertFalse(c.closed)
        c.close()


class SizeCap(ClipboardCase):
    extra = "policy:\n  limits:\n    clipboard_max_kb: 64\n"

    def test_client_over_cap(self):
        c = self.connect()
        self.host_copy("before")
        c.pump(1.0)
        c.send_clipboard(random_text(200 * 1024), multi=True, compress=False)
        got, want = self.host_stays(c, "before")
        self.assertEqual(got, want, "200 KiB reached the host")
        boxes = [m.text for m in c.message_boxes]
        print(f"200 KiB from the client: message boxes {boxes}")
        self.assertTrue(any("clipboard" in t.lower() and
                            any(w in t.lower() for w in
                                ("limit", "large", "size", "kb", "kib"))
                            for t in boxes),
                        f"no MessageBox about the size limit: {boxes}")
        # Compressed small, 200 KiB once decompressed: refused too.
        c.send_clipboard("a" * (200 * 1024), multi=False, compress=True)
        self.assertLess(len(c.sent[-1].wire), 1024)
        got, want = self.host_stays(c, "before")
        self.assertEqual(got, want, "compressed 200 KiB reached the host")
        # Under the cap: fine.
        small = random_text(32 * 1024)
        c.send_clipboard(small, compress=False)
        self.assertEqual(self.wait_host(c, small), small.encode(), self.why(c))
        self.assertFalse(c.closed)
        c.close()

    def test_host_over_cap(self):
        c = self.connect()
        n = len(c.clipboards_received)
        big = random_text(200 * 1024)
        self.host_copy(big)
        c.pump(2.5)
        sizes = [len(r.data) for r in c.clipboards_received[n:]
                 if r.data is not None]
        self.assertFalse(any(s > 64 * 1024 for s in sizes),
                         f"sent {sizes} bytes over a 64 KiB cap")
        print(f"host 200 KiB: entries sent {sizes}, message boxes "
              f"{[m.text for m in c.message_boxes]}")
        small = random_text(16 * 1024)
        self.host_copy(small)
        self.assertIsNotNone(self.wait_text(c, small, since=n), self.why(c))
        c.close()


class Hostile(ClipboardCase):
    def test_bad_content(self):
        c = self.connect()
        self.host_copy("untouched")
        c.pump(1.0)
        half = client.build_clipboard(random_text(5000), compress=True).content
        half = half[:len(half) // 2]
        bomb = client.zstd_bomb(100 << 20)
        bomb_stream = client.zstd_bomb(100 << 20, content_size=False)
        self.assertLess(len(bomb), 64 * 1024)
        cases = [
            ("not zstd", dict(content=b"this is not a zstd frame",
                              compress=True)),
            ("truncated zstd", dict(content=half, compress=True)),
            ("zstd bomb", dict(content=bomb, compress=True)),
            ("zstd bomb, no size", dict(content=bomb_stream, compress=True)),
            ("format 9999", dict(content=b"odd format", compress=False,
                                 fmt=9999)),
            ("empty", dict(content=b"", compress=False)),
            ("empty compressed", dict(content=b"", compress=True)),
            ("Special only", dict(content=b"\x01", compress=False, fmt=31)),
            ("negative size image", dict(content=b"\x00" * 16, compress=False,
                                         fmt=21, width=-5, height=2**31 - 1)),
        ]
        for name, kw in cases:
            for multi in (True, False):
                c.send_clipboard_raw(multi=multi, **kw)
                c.pump(0.3)
                self.assertFalse(c.closed, f"{name}: session ended" +
                                 self.why(c))
                got = self.host_paste()
                self.assertEqual(got, b"untouched",
                                 f"{name} (multi={multi}) changed the host "
                                 f"clipboard to {got[:60] if got else got}")
        self.assertIsNone(self.agent.proc.poll(), "the agent died")
        # Still working afterwards.
        c.send_clipboard("after the hostile ones")
        self.assertEqual(self.wait_host(c, "after the hostile ones"),
                         b"after the hostile ones", self.why(c))
        print(f"message boxes: {[m.text for m in c.message_boxes]}")
        c.close()


if __name__ == "__main__":
    main()
