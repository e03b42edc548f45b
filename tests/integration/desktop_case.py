# SPDX-License-Identifier: MIT
"""The base of the tests that need a screen (video, input, clipboard): a
private Xvfb (or, from start_desktop, a compositor), an agent pointed at
it with a permanent password, and a direct-IP client logged in to it."""
import time

from agent import Agent
from common import TempDirCase

import client
import video_util


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

    def wait_frames(self, c, n=1, timeout=20):
        deadline = time.monotonic() + timeout
        while len(video_util.frames(c)) < n:
            self.assertLess(time.monotonic(), deadline,
                            f"only {len(video_util.frames(c))} frames" +
                            self.why(c))
            c.pump(0.05)
