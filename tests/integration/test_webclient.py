#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Issue 18: RustDesk's own web client must get a picture.  The web
client (tests/peers/client_web.py, modelled on connection.ts) dials the ID
over websocket to hbbs, is relayed over hbbr's websocket port while the
agent joins the relay over TCP, logs in twice with the same proof, sends
no supported_decoding, decodes VP9 only, acks each frame, and sends
options, a refresh and a TestDelay before the first frame.  Each of those
behaviours is also tried on its own, so a regression names its cause.

The frames are decoded by ffmpeg and compared with an xwd grab of the
same Xvfb."""
import json
import os
import time

from agent import Agent
from common import TempDirCase, main, run

import client
import client_web
import video_util
from relay import RelayServer
from rendezvous import RendezvousServer

PASSWORD = "web client password"
W, H = 1280, 800


class WebCase(TempDirCase):
    def setUp(self):
        super().setUp()
        self.x = video_util.Xvfb(W, H)
        self.addCleanup(self.x.stop)
        video_util.xsetroot_solid(self.x.display, "#405060")
        term = video_util.start_xterm(
            self.x.display, "90x20+30+30",
            "printf 'web client test\\n%s\\n' \"$(seq 1 30 | tr '\\n' ' ')\";"
            " exec sleep 600")
        self.addCleanup(term.kill)
        time.sleep(0.7)
        self.relay = RelayServer(ws=True).start()
        self.rs = RendezvousServer(relay_servers=[self.relay.address], ws=True)
        self.rs.start()
        self.relay.key = self.rs.licence_key
        self.agent = Agent.registered(
            self.tmp, self.rs, PASSWORD,
            display=f"display:\n  x11: \"{self.x.display}\"\n"
                    "  virtual:\n    mode: never\n")

    def tearDown(self):
        code = self.agent.stop()
        self.rs.stop()
        self.relay.stop()
        super().tearDown()
        self.assertEqual(code, 0, self.agent.log()[-3000:])

    def web(self):
        res = client_web.connect(("127.0.0.1", self.rs.ws_port),
                                 self.rs.licence_key, self.agent.id)
        self.assertEqual(res.relay_addr, ("127.0.0.1", self.relay.ws_port))
        c = client_web.WebClient(res)
        self.addCleanup(c.close)
        return c

    def wait_vp9(self, c, n, timeout=10):
        deadline = time.monotonic() + timeout
        while len(c.video_frames(0)) < n and time.monotonic() < deadline:
            if not c.run(0.1):
                break
        got = c.video_frames(0)
        self.assertGreaterEqual(
            len(got), n, f"{len(got)} frames; loop ended: {c.loop_ended}; "
            f"{c.summary()}\n{self.agent.log()[-2500:]}")
        return got

    def audit_sessions(self):
        p = run(["-c", self.agent.config, "audit", "list", "--json"])
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def psnr(self, c):
        ivf = os.path.join(self.tmp, "web.ivf")
        c.write_ivf(ivf, display=0, width=W, height=H)
        got = video_util.decode_ivf(ivf, W, H)[-1]
        return video_util.psnr(got, video_util.xwd_grab(self.x.display), W, H)


class WebClient(WebCase):
    def test_web_client_gets_vp9_stream(self):
        c = self.web()
        self.assertEqual(c.handshake(), "encrypted")
        pi = c.login_web(PASSWORD)
        self.assertNotIsInstance(pi, str, c.summary())
        self.assertEqual((pi.displays[0].width, pi.displays[0].height), (W, H))
        c.send_early_misc()
        got = self.wait_vp9(c, 3)
        self.assertIsNone(c.loop_ended)
        self.assertEqual({r.codec for r in c.video}, {"vp9s"})
        self.assertTrue(got[0].frames[0][1], "the first frame must be a key frame")
        self.assertEqual(c.ignored_frames, 0)
        self.assertGreaterEqual(c.vp9_acks, 3)
        # Every PermissionInfo the web client saw is one it understands.
        seen = {m.permission_info.permission
                for m in c.messages("misc.permission_info")}
        self.assertTrue(seen <= set(client_web.WEB_PERMISSIONS), seen)
        # The stream keeps coming while acks flow (video_ack_required).
        n = len(c.video)
        c.run(1.5)
        self.assertIsNone(c.loop_ended)
        db = self.psnr(c)
        print(f"web client: {len(c.video)} frames ({len(c.video) - n} in the "
              f"last 1.5 s), {c.vp9_acks} acks, PSNR {db:.1f} dB")
        self.assertGreaterEqual(db, 35.0)
        # The second LoginRequest did not start a second login.
        self.assertEqual(len(c.login_responses), 1)
        self.assertEqual([s["outcome"] for s in self.audit_sessions()],
                         ["authorized"])

    def test_empty_password_first_then_password(self):
        c = self.web()
        c.handshake()
        pi = c.login_web(PASSWORD, empty_first=True, repeat=False)
        self.assertNotIsInstance(pi, str, c.summary())
        self.wait_vp9(c, 1)
        self.assertIsNone(c.loop_ended)

    def test_close_reason_is_logged_with_its_cause(self):
        c = self.web()
        c.handshake()
        c.login_web(PASSWORD)
        self.wait_vp9(c, 1)
        c.close()       # the tab is closed: the relay hangs up
        want = "closed: the relay closed the connection"
        self.assertIn(want, self.agent.log_with(want, timeout=5))
        # The audit record says the same.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            reasons = [s.get("close_reason") for s in self.audit_sessions()]
            if reasons and reasons[0]:
                break
            time.sleep(0.1)
        self.assertTrue(reasons[0].startswith("the relay closed"), reasons)


class EachBehaviour(WebCase):
    """One web-client trait at a time, over the paths a desktop client
    uses, so a failure points at its cause."""

    def desktop_over_ws_relay(self):
        """A desktop-like client (supported_decoding, one LoginRequest)
        through the websocket relay."""
        res = client_web.connect(("127.0.0.1", self.rs.ws_port),
                                 self.rs.licence_key, self.agent.id)
        c = client.Client(res)
        self.addCleanup(c.close)
        return c

    def frames_after(self, c, n=2, timeout=10):
        deadline = time.monotonic() + timeout
        while len(c.video_frames(0)) < n and time.monotonic() < deadline:
            if not c.pump(0.1):
                break
        self.assertGreaterEqual(len(c.video_frames(0)), n,
                                f"{c.summary()}\n{self.agent.log()[-2000:]}")

    def test_websocket_relay_alone(self):
        c = self.desktop_over_ws_relay()
        self.assertEqual(c.handshake(), "encrypted")
        self.assertNotIsInstance(c.login(PASSWORD), str)
        self.frames_after(c)

    def test_second_login_request_after_authorization(self):
        c = self.desktop_over_ws_relay()
        c.handshake()
        self.assertNotIsInstance(c.login(PASSWORD), str)
        c.send_login_request(c.proof(PASSWORD))
        self.frames_after(c, 3)
        self.assertEqual(len(c.login_responses), 1)

    def test_no_supported_decoding_gives_vp9(self):
        c = self.desktop_over_ws_relay()
        c.handshake()
        self.assertNotIsInstance(c.login(PASSWORD, option=None), str)
        self.frames_after(c)
        self.assertEqual({r.codec for r in c.video}, {"vp9s"})

    def test_early_misc_before_first_frame(self):
        c = self.desktop_over_ws_relay()
        c.handshake()
        self.assertNotIsInstance(c.login(PASSWORD, video_ack_required=True), str)
        client_web.WebClient.send_early_misc(c)
        self.frames_after(c, 3)

    def test_permission_info_only_what_the_web_client_knows(self):
        """The web client's loop ends on PermissionInfo File (4) and
        others: a client that sends no version gets only Keyboard,
        Clipboard and Audio announced; a versioned client gets them all."""
        c = self.web()
        c.handshake()
        c.login_web(PASSWORD, repeat=False)
        c.run(0.5)
        self.assertIsNone(c.loop_ended, c.summary())
        d = self.desktop_over_ws_relay()
        d.handshake()
        d.login(PASSWORD)
        d.pump(0.5)
        self.assertIn("File", d.permissions, d.summary())
        self.assertFalse(d.permissions["File"])


if __name__ == "__main__":
    main()
