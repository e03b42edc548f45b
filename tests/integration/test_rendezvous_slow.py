#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Registration over time (about a minute): the keep-alive cadence, and
coming back within 5 s after the rendezvous server restarts."""
import time

from agent import Agent
from common import TempDirCase, main

from rendezvous import RendezvousServer


class Cadence(TempDirCase):
    def setUp(self):
        super().setUp()
        self.rs = RendezvousServer().start()
        self.agent = Agent(self.tmp, rendezvous=f"127.0.0.1:{self.rs.port}",
                           key=self.rs.public_key_b64)

    def tearDown(self):
        code = self.agent.stop()
        self.rs.stop()
        super().tearDown()
        self.assertEqual(code, 0)

    def test_keepalive_cadence_and_restart(self):
        self.agent.start()
        self.assertTrue(self.rs.wait_registered(self.agent.id, timeout=2))
        time.sleep(32)
        times = [e.t for e in self.rs.events("register_peer")]
        gaps = [b - a for a, b in zip(times, times[1:])]
        print("RegisterPeer gaps (s):", [round(g, 2) for g in gaps])
        self.assertGreaterEqual(len(times), 2)
        for g in gaps:
            self.assertGreater(g, 14.5)
            self.assertLess(g, 15.8)
        self.assertEqual(len(self.rs.events("register_pk")), 1)

        # Kill hbbs for 10 s: the agent retries with backoff; once hbbs is
        # back (with its ID table but no memory) it must be online within 5 s.
        self.rs.stop()
        time.sleep(10)
        t0 = time.monotonic()
        self.rs.start()
        self.assertTrue(self.rs.wait_registered(self.agent.id, timeout=5),
                        self.agent.log())
        took = time.monotonic() - t0
        print(f"registered again {took:.2f} s after the server came back")
        self.assertLess(took, 5.0)
        st = self.agent.wait_status(lambda s: s["registered"], timeout=5)
        self.assertEqual(st["id"], self.agent.id)


if __name__ == "__main__":
    main()
