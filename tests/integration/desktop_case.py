# SPDX-License-Identifier: MIT
"""The base of the tests that need a screen (video, input, clipboard): a
private Xvfb (or, from start_desktop, a compositor), an agent pointed at
it with a permanent password, and a direct-IP client logged in to it;
and LogindCase, a Wayland-only user "logged in" whose desktop the agent
must find by itself."""
import json
import os
import shutil
import time
import unittest

from agent import Agent
from common import SOURCE_DIR, TempDirCase, run
from pipewire_util import ensure_user

import client
import jsonschema
import sway_util as su
import video_util


def wayland_display(socket):
    """The agent's display section for a Wayland compositor's socket,
    with no virtual display to fall back to."""
    return (f"display:\n  wayland: \"{socket}\"\n"
            "  virtual:\n    mode: never\n")


def start_agent(case, password, **agent_kw):
    """An agent (Agent's keywords: display, extra) with a permanent
    password, stopped at the end of case, once it reports its display;
    and a direct-IP client to it, closed at the end (not logged in)."""
    agent = Agent(case.tmp, **agent_kw)
    agent.set_password(password + "\n")
    agent.start()
    case.addCleanup(agent.stop)
    agent.wait_status(lambda s: "display" in s)
    c = client.Client(("127.0.0.1", agent.direct_port), direct=True)
    case.addCleanup(c.close)
    return agent, c


def wait_first_frame(case, c, agent, timeout):
    """Pumps c until a video frame came, failing after timeout s."""
    deadline = time.monotonic() + timeout
    while not video_util.frames(c):
        case.assertLess(time.monotonic(), deadline,
                        f"{c.summary()}\n{agent.log()[-2500:]}")
        c.pump(0.05)


class DesktopCase(TempDirCase):
    """Subclasses set PASSWORD, and may set W, H, extra (YAML after the
    display section: policy, video) and display_yaml, and override
    prepare_screen() to draw on the display before the agent starts."""
    W, H = 1280, 720
    PASSWORD = "desktop test password"
    extra = ""
    display_yaml = None

    def prepare_screen(self):
        pass

    def start_desktop(self):
        """Starts the screen; returns the agent's display section."""
        self.x = video_util.Xvfb(self.W, self.H)
        self.addCleanup(self.x.stop)
        self.prepare_screen()
        return self.display_yaml or (
            f"display:\n  x11: \"{self.x.display}\"\n"
            "  virtual:\n    mode: never\n")

    def make_share(self, prefix):
        """self.share: a directory the test user can read and write
        (a compositor's logs, images to show), removed at the end."""
        self.share = su.user_tmp(prefix)
        self.addCleanup(shutil.rmtree, self.share, True)
        return self.share

    def setUp(self):
        super().setUp()
        disp = self.start_desktop()
        self.agent = Agent(self.tmp, display=disp, extra=self.extra)
        self.agent.set_password(self.PASSWORD + "\n")
        self.agent.start()
        self.agent.wait_status(lambda s: "display" in s)

    def tearDown(self):
        code = self.agent.stop()
        super().tearDown()
        self.assertEqual(code, 0, self.agent.log()[-3000:])

    def login(self, client_kw=None, pump=0.0, **login_fields):
        """A logged-in direct-IP client and its PeerInfo."""
        c = client.Client(("127.0.0.1", self.agent.direct_port), direct=True,
                          **(client_kw or {}))
        pi = c.login(self.PASSWORD, **login_fields)
        self.assertNotIsInstance(pi, str, c.summary())
        self.assertIsNotNone(pi, c.summary())
        if pump:
            c.pump(pump)
        return c, pi

    def connect(self):
        """login(), closed at the end of the test."""
        c, pi = self.login()
        self.addCleanup(c.close)
        return c, pi

    def why(self, c):
        return (f"\nclient: {c.summary()}\nagent log:\n"
                f"{self.agent.log()[-2500:]}")

    def check_compositor_dies(self, kill, backend):
        """Kills the compositor (kill()) mid-session: the client is told
        why, the audit trail records display.lost with backend, and the
        agent goes on serving (the next session is told there is no
        screen)."""
        c, _ = self.connect()
        self.wait_frames(c)
        kill()
        self.assertIsNotNone(c.wait_closed(timeout=10), c.summary())
        self.assertIn("display went away", c.close_reason or "")
        self.assertIn("Wayland compositor", c.close_reason or "")
        st = self.agent.wait_status(lambda s: s["display"]["users"] == 0)
        self.assertEqual(st["display"]["sessions"], [])
        c2, _ = self.connect()
        c2.pump(0.5)
        self.assertTrue(any("no screen to show" in m.text
                            for m in c2.message_boxes), c2.summary())
        out = run(["-c", self.agent.config, "audit", "export"]).stdout
        lost = [ln for ln in out.splitlines() if "display.lost" in ln]
        self.assertTrue(lost, out[-2000:])
        self.assertIn(f'"backend":"{backend}"', lost[-1].replace(" ", ""))
        self.assertIsNone(self.agent.proc.poll(), "the agent exited")

    def check_clipboard_to_desktop(self, c, paste, as_bytes=False):
        """The technician's clipboard reaches the desktop: paste() (the
        desktop's clipboard as one of its clients reads it, bytes when
        as_bytes) gives what c sent within 10 s."""
        back = "héllo from the technician"
        want = back.encode() if as_bytes else back
        c.send_clipboard(back, multi=True)
        deadline = time.monotonic() + 10
        got = None
        while time.monotonic() < deadline:
            got = paste()
            if got == want:
                break
            c.pump(0.1)
        self.assertEqual(got, want, self.why(c))

    def stream_psnr(self, c, want, name):
        """PSNR (dB) of the last frame c received, decoded with ffmpeg
        from NAME.ivf in self.tmp, against want (rgb24 bytes, W x H)."""
        ivf = os.path.join(self.tmp, f"{name}.ivf")
        c.write_ivf(ivf, display=0, width=self.W, height=self.H)
        got = video_util.decode_ivf(ivf, self.W, self.H, last_only=True)[-1]
        return video_util.psnr(got, want, self.W, self.H)

    def valid_status(self):
        """The agent's status --json, checked against its schema."""
        st = self.agent.status()
        with open(os.path.join(SOURCE_DIR, "config", "schema",
                               "status.schema.json")) as f:
            jsonschema.validate(st, json.load(f))
        return st

    def wait_frames(self, c, n=1, timeout=20):
        deadline = time.monotonic() + timeout
        while len(video_util.frames(c)) < n:
            self.assertLess(time.monotonic(), deadline,
                            f"only {len(video_util.frames(c))} frames" +
                            self.why(c))
            c.pump(0.05)


@unittest.skipUnless(os.geteuid() == 0, "needs root to make /run/user/UID")
class LogindCase(TempDirCase):
    """USER (a test user) "logged in" to a Wayland session without
    Xwayland: its /run/user/UID made as logind would, the compositor
    started there by start_compositor(rundir), and the consent module's
    test hook standing in for logind (which the tests do not have).
    Subclasses set USER and PASSWORD and define start_compositor."""
    USER = None
    PASSWORD = "logind test password"

    def start_compositor(self, rundir):
        raise NotImplementedError

    def setUp(self):
        super().setUp()
        uid, gid = ensure_user(self.USER)
        self.rundir = f"/run/user/{uid}"
        if not os.path.isdir(self.rundir):   # as logind would make it
            os.makedirs(self.rundir, 0o700)
            os.chown(self.rundir, uid, gid)
            self.addCleanup(shutil.rmtree, self.rundir, True)
        self.start_compositor(self.rundir)
        os.environ["OUTPOST_CONSENT_TEST_WAYLAND_USER"] = self.USER
        self.addCleanup(os.environ.pop, "OUTPOST_CONSENT_TEST_WAYLAND_USER",
                        None)

    def start_agent(self, extra=""):
        """An agent with no display configured, and a client's login to
        it: (agent, client, PeerInfo or the refusal)."""
        agent, c = start_agent(self, self.PASSWORD, extra=extra)
        return agent, c, c.login(self.PASSWORD)

    def check_found_and_streamed(self, backend, name, timeout):
        """With consent allowed, the agent finds the user's desktop by
        itself and streams it (source logind, the given backend and
        display name)."""
        agent, c, pi = self.start_agent(
            "policy:\n  consent:\n    when_user_present: allow\n")
        self.assertNotIsInstance(pi, str, c.summary())
        wait_first_frame(self, c, agent, timeout)
        dp = agent.status()["display"]
        self.assertEqual((dp["backend"], dp["source"], dp["name"]),
                         (backend, "logind", name), dp)
