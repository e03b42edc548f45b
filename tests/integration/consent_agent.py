# SPDX-License-Identifier: MIT
"""The fixture of the consent session tests: a private Xvfb, a rendezvous
server that makes clients punch, and an agent that asks the local user,
who is "present" on that display through the test hook
OUTPOST_CONSENT_TEST_DISPLAY (test builds only: no logind in CI)."""
import os

from agent import Agent
from common import TempDirCase
from test_consent import Xvfb

from rendezvous import RendezvousServer

PASSWORD = "consent-pw-1"


class ConsentAgentCase(TempDirCase):
    """No tests of its own: subclasses set consent_timeout and extra."""
    consent_timeout = "5s"
    extra = ""

    def setUp(self):
        super().setUp()
        self.x = Xvfb()
        self.addCleanup(self.x.stop)
        self.rs = RendezvousServer(force_punch=True).start()
        self.addCleanup(self.rs.stop)
        os.environ["OUTPOST_CONSENT_TEST_DISPLAY"] = self.x.display
        self.addCleanup(os.environ.pop, "OUTPOST_CONSENT_TEST_DISPLAY", None)
        self.agent = Agent.registered(
            self.tmp, self.rs, PASSWORD,
            extra="policy:\n  consent:\n    when_user_present: ask\n"
                  f"    timeout: {self.consent_timeout}\n" + self.extra)
        self.addCleanup(self.agent.stop)
