#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Consent end to end: a technician with the right password still waits
for the local user, who sees the prompt on their display (a private Xvfb)
and clicks Allow or Deny with xdotool; no answer is a denial. The user is
"present" through the test hook OUTPOST_CONSENT_TEST_DISPLAY, which only
test builds compile in (no logind in CI)."""
import threading
import time

from common import main
from consent_agent import PASSWORD, ConsentAgentCase
from test_consent import click, find_window

import client
import initiator


class ConsentSession(ConsentAgentCase):
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

    extra = "access:\n  approve: click\n"

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
