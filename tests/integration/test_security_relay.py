#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Issue 11, the relay and consent holes, reproduced against the real
agent with the independent rendezvous server, relay and client:

  4. on relay paths the 'source' for lockout, policy.peers.allow_from and
     the audit trail was the relay server's address: five wrong
     passwords through the relay locked out every relayed technician;
  9. a pushed RequestRelay made the agent connect wherever the client
     named (SSRF, port probing), even with server.relay configured;
  5. consent prompts were never withdrawn when the requester hung up,
     had no rate limit, and a pending one held SIGTERM for ~29 s.
The technicians are told apart by the address their hbbs connection
comes from (127.0.0.x), which is what hbbs reports in socket_addr."""
import json
import os
import signal
import socket
import threading
import time

from agent import Agent
from common import TempDirCase, main, run
from consent_agent import PASSWORD as CONSENT_PASSWORD, ConsentAgentCase
from test_consent import click, find_window, xcmd

import client
import initiator
from relay import RelayServer
from rendezvous import RendezvousServer

PASSWORD = "relay security password"


class RelayCase(TempDirCase):
    extra = ""
    configure_relay = False

    def setUp(self):
        super().setUp()
        self.relay = RelayServer().start()
        self.addCleanup(self.relay.stop)
        self.rs = RendezvousServer(relay_servers=[self.relay.address],
                                   force_relay=True).start()
        self.addCleanup(self.rs.stop)
        self.relay.key = self.rs.licence_key
        self.agent = Agent(
            self.tmp, rendezvous=f"127.0.0.1:{self.rs.port}",
            key=self.rs.public_key_b64,
            relay=self.relay.address if self.configure_relay else None,
            extra=self.extra)
        self.agent.set_password(PASSWORD + "\n")
        self.agent.start()
        self.assertTrue(self.rs.wait_registered(self.agent.id, timeout=5))

    def tearDown(self):
        code = self.agent.stop()
        super().tearDown()
        self.assertEqual(code, 0, self.agent.log()[-3000:])

    def relayed(self, source, mode="relay", my_id="100200300", **kw):
        res = initiator.connect(self.rs.addr, self.rs.licence_key,
                                self.agent.id, mode, source_ip=source, **kw)
        c = client.Client(res, keep_video=False, my_id=my_id)
        self.addCleanup(c.close)
        return c

    def audit_sessions(self):
        p = run(["-c", self.agent.config, "audit", "list", "--json"])
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)


class RelaySource(RelayCase):
    def test_lockout_counts_the_client_not_the_relay(self):
        for _ in range(5):
            c = self.relayed("127.0.0.6", my_id="666000666")
            c.handshake()
            self.assertEqual(c.login("wrong"), "Wrong Password")
            c.close()
        self.assertLogged("127.0.0.6 locked", timeout=5)
        c = self.relayed("127.0.0.5")
        c.handshake()
        self.assertNotIsInstance(c.login(PASSWORD), str, c.summary())
        self.assertLogged("from 127.0.0.5:")
        self.assertLogged("(relay via 127.0.0.1:")
        c.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            ok = [s for s in self.audit_sessions() if s["outcome"] == "authorized"]
            if ok:
                break
            time.sleep(0.1)
        self.assertTrue(ok[0]["source"].startswith("127.0.0.5:"), ok)


class RelayAllowFrom(RelayCase):
    extra = "policy:\n  peers:\n    allow_from: [\"127.0.0.5/32\"]\n"

    def test_allow_from_applies_to_relayed_sessions(self):
        c = self.relayed("127.0.0.5")
        c.handshake()
        self.assertNotIsInstance(c.login(PASSWORD), str, c.summary())
        c.close()
        c = self.relayed("127.0.0.6")
        self.assertIsNotNone(c.wait_closed(5), "127.0.0.6 was let in")
        self.assertLogged("127.0.0.6 is not in policy.peers.allow_from")


def decoy(host="127.0.0.1"):
    """A listener that records who connects: where a relay must not be."""
    s = socket.socket()
    s.bind((host, 0))
    s.listen(8)
    s.settimeout(0.2)
    hits = []
    stop = threading.Event()

    def run_():
        while not stop.is_set():
            try:
                conn, addr = s.accept()
                hits.append(addr)
                conn.close()
            except OSError:
                pass
    threading.Thread(target=run_, daemon=True).start()
    return s, hits, stop


class ClientRelayConfigured(RelayCase):
    configure_relay = True

    def test_configured_relay_wins_over_the_client_choice(self):
        s, hits, stop = decoy()
        self.addCleanup(s.close)
        self.addCleanup(stop.set)
        self.rs.force_relay = False
        self.rs.force_punch = True
        try:
            self.relayed("127.0.0.1", mode="client-relay",
                         relay_server=f"127.0.0.1:{s.getsockname()[1]}")
        except initiator.InitiatorError:
            pass
        self.assertLogged("using the configured relay", timeout=5)
        uuid = self.rs.events("request_relay", direction="in")[-1].msg.uuid
        # The agent joined the configured relay with the client's uuid;
        # the only one at the decoy is the client itself.
        self.relay.wait_for("park", timeout=5, direction="info",
                            pred=lambda e: e.note == uuid)
        time.sleep(0.5)
        self.assertEqual(len(hits), 1, hits)


class ClientRelayOtherHost(RelayCase):
    def test_client_relay_on_another_host_is_refused(self):
        s, hits, stop = decoy("127.0.0.9")
        self.addCleanup(s.close)
        self.addCleanup(stop.set)
        self.rs.push(self.agent.id, "request_relay", uuid="probe-1",
                     relay_server=f"127.0.0.9:{s.getsockname()[1]}",
                     socket_addr=b"")
        self.assertLogged("refused a client-chosen relay", timeout=5)
        time.sleep(0.5)
        self.assertEqual(hits, [])


class ConsentCase(ConsentAgentCase):
    consent_timeout = "20s"

    def windows(self):
        p = xcmd(self.x.display, "xdotool", "search", "--onlyvisible",
                 "--name", "^Outpost", check=False)
        return p.stdout.split()

    def request(self, source):
        """Logs in from source up to the prompt; returns the client."""
        res = initiator.connect(self.rs.addr, self.rs.licence_key,
                                self.agent.id, "punch", source_ip=source)
        c = client.Client(res)
        self.addCleanup(c.close)
        c.handshake()
        c.wait_hash()
        c.send_login_request(c.proof(CONSENT_PASSWORD))
        return c


class Consent(ConsentCase):
    def test_prompt_withdrawn_when_the_client_leaves(self):
        c = self.request("127.0.0.21")
        find_window(self.x.display, timeout=15)
        c.close()
        deadline = time.monotonic() + 3
        while self.windows() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.windows(), [])
        self.assertLogged("consent-withdrawn")

    def test_one_prompt_at_a_time_in_order(self):
        cs = [self.request(f"127.0.0.{31 + i}") for i in range(3)]
        find_window(self.x.display, timeout=15)
        for _ in range(10):
            self.assertLessEqual(len(self.windows()), 1)
            time.sleep(0.1)
        for i in range(3):
            win = find_window(self.x.display, timeout=15)
            time.sleep(0.8)         # the prompt ignores early clicks
            click(self.x.display, win, "allow")
            msg = cs[i].wait_for("login_response", timeout=15)
            self.assertEqual(msg.login_response.WhichOneof("union"),
                             "peer_info", f"request {i}")

    def test_denied_source_must_wait(self):
        c = self.request("127.0.0.41")
        win = find_window(self.x.display, timeout=15)
        time.sleep(0.8)
        click(self.x.display, win, "deny")
        self.assertEqual(c.wait_login_response(15), "Connection not allowed")
        c = self.request("127.0.0.41")
        self.assertEqual(c.wait_login_response(15), "Connection not allowed")
        self.assertEqual(self.windows(), [])
        self.assertLogged("this source was refused")
        # Another source is still asked.
        c = self.request("127.0.0.42")
        find_window(self.x.display, timeout=15)

    def test_sigterm_is_not_held_by_a_prompt(self):
        self.request("127.0.0.51")
        find_window(self.x.display, timeout=15)
        t0 = time.monotonic()
        self.agent.proc.send_signal(signal.SIGTERM)
        code = self.agent.proc.wait(timeout=10)
        took = time.monotonic() - t0
        self.assertEqual(code, 0)
        self.assertLess(took, 3.0)
        deadline = time.monotonic() + 3
        while self.windows() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.windows(), [])

    def test_prompt_is_the_monitors(self):
        """Privilege separation: the monitor starts the prompt (as the
        user it finds), so it is the monitor's child; a network process
        that dies takes its prompt with it, and the next one can ask."""
        self.request("127.0.0.61")
        find_window(self.x.display, timeout=15)
        st = self.agent.status()
        net = st["monitor"]["network_pid"]
        prompts = [int(p) for p in run_ps_children(self.agent.proc.pid)
                   if p != net]
        self.assertTrue(prompts, "no prompt process under the monitor")
        os.kill(net, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while self.windows() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.windows(), [])
        self.agent.wait_status(
            lambda s: s["monitor"]["network_pid"] != net, timeout=20)
        self.agent.wait_status(lambda s: s.get("registered"), timeout=20)
        c = self.request("127.0.0.62")
        win = find_window(self.x.display, timeout=15)
        time.sleep(0.8)
        click(self.x.display, win, "allow")
        msg = c.wait_for("login_response", timeout=15)
        self.assertEqual(msg.login_response.WhichOneof("union"), "peer_info")


def run_ps_children(pid):
    """The PIDs whose parent is pid."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if ppid == pid:
            out.append(int(d))
    return out


if __name__ == "__main__":
    main()
