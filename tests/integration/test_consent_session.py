#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Consent end to end: a technician with the right password still waits
for the local user, who sees the prompt on their display (a private Xvfb)
and clicks Allow or Deny with xdotool; no answer is a denial. The user is
"present" through the test hook OUTPOST_CONSENT_TEST_DISPLAY, which only
test builds compile in (no logind in CI)."""
import os
import threading
import time

from agent import Agent
from common import TempDirCase, main
from test_consent import Xvfb, click, find_window

import client
import initiator
from rendezvous import RendezvousServer

PASSWORD = "consent-pw-1"


class ConsentSession(TempDirCase):
    def setUp(self):
        super().setUp()
        self.x = Xvfb()
        self.addCleanup(self.x.stop)
        self.rs = RendezvousServer(force_punch=True).start()
        self.addCleanup(self.rs.stop)
        self.agent = Agent(
            self.tmp, rendezvous=f"127.0.0.1:{self.rs.port}",
            key=self.rs.public_key_b64,
            extra="policy:\n  consent:\n    when_user_present: ask\n"
                  "    timeout: 5s\n" + getattr(self, "_extra", ""))
        self.agent.set_password(PASSWORD + "\n")
        os.environ["OUTPOST_CONSENT_TEST_DISPLAY"] = self.x.display
        self.addCleanup(os.environ.pop, "OUTPOST_CONSENT_TEST_DISPLAY", None)
        self.agent.start()
        self.addCleanup(self.agent.stop)
        self.assertTrue(self.rs.wait_registered(self.agent.id, timeout=5))

    def login_async(self):
        out = {}

        def run():
            res = initiator.connect(self.rs.addr, self.rs.licence_key,
                                    self.agent.id, "punch")
            c = client.Client(res, my_id="tech-9", my_name="Bob")
            c.handshake()
            out["r"] = c.login(PASSWORD, reply_timeout=15)
            c.close()
        t = threading.Thread(target=run)
        t.start()
        return t, out

    def test_allow(self):
        t, out = self.login_async()
        win = find_window(self.x.display, timeout=15)
        time.sleep(0.8)  # the prompt ignores clicks in its first 500 ms
        click(self.x.display, win, "allow")
        t.join(20)
        self.assertNotIsInstance(out.get("r"), (str, type(None)), out)
        self.assertLogged("the local user allowed it")

    def test_deny(self):
        t, out = self.login_async()
        win = find_window(self.x.display, timeout=15)
        time.sleep(0.8)
        click(self.x.display, win, "deny")
        t.join(20)
        self.assertEqual(out.get("r"), "Connection not allowed", out)
        self.assertLogged("consent-denied")

    def test_silence_is_a_denial(self):
        t, out = self.login_async()
        find_window(self.x.display, timeout=15)
        t.join(25)
        self.assertEqual(out.get("r"), "Connection not allowed", out)
        self.assertLogged("consent-timeout")


class ClickApproval(ConsentSession):
    """access.approve: click -- no password; the local user decides."""

    def setUp(self):
        self._extra = "access:\n  approve: click\n"
        super().setUp()

    def test_click_allows_without_a_password(self):
        res = initiator.connect(self.rs.addr, self.rs.licence_key,
                                self.agent.id, "punch")
        c = client.Client(res, my_id="tech-3")
        c.handshake()
        # The client is told to wait for the remote side to accept.
        self.assertEqual(c.login(None, reply_timeout=5),
                         "No Password Access")
        win = find_window(self.x.display, timeout=15)
        time.sleep(0.8)
        click(self.x.display, win, "allow")
        msg = c.wait_for("login_response", timeout=15)
        self.assertEqual(msg.login_response.WhichOneof("union"),
                         "peer_info")
        c.close()

    # The inherited password tests do not apply to click approval.
    test_allow = test_deny = test_silence_is_a_denial = None


if __name__ == "__main__":
    main()
