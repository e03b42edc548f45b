#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The agent behind each kind of real proxy from Debian: it registers in
TCP mode through the proxy (with a Pro-like rendezvous server that opens
with a signed KeyExchange), and a relayed session reaches it through the
same proxy. Against an OSS-like server the refusal (NOT_SUPPORT) is
surfaced in status. The proxy password comes from a 0600 file."""
import os

from agent import Agent  # noqa: I100 (puts tests/peers on the path)
from common import main
import initiator
from relay import RelayServer
from rendezvous import RendezvousServer
from test_proxy import PASSWORD, USER, ProxyCase


class AgentBehindProxy(ProxyCase):
    def setUp(self):
        # ProxyCase.setUp also wants the op-connect tool; only its proxy
        # helpers are needed here.
        from common import TempDirCase
        TempDirCase.setUp(self)
        self.pwfile = self.write_secret("pw", PASSWORD + "\n")
        self.relay = RelayServer().start()
        self.addCleanup(self.relay.stop)

    def run_agent(self, proxy_url, tcp_mode="pro", extra=""):
        self.rs = RendezvousServer(tcp_mode=tcp_mode,
                                   relay_servers=[self.relay.address])
        self.rs.start()
        self.addCleanup(self.rs.stop)
        self.relay.key = self.rs.licence_key
        os.makedirs(os.path.join(self.tmp, "a"), exist_ok=True)
        self.agent = Agent(
            os.path.join(self.tmp, "a"),
            rendezvous=f"127.0.0.1:{self.rs.port}",
            key=self.rs.public_key_b64,
            extra=extra)
        # Agent writes "server:" itself; the proxy keys go under it.
        with open(self.agent.config) as f:
            cfg = f.read()
        cfg = cfg.replace("server:\n", "server:\n"
                          f"  proxy: {proxy_url}\n"
                          f"  proxy_password_file: {self.pwfile}\n", 1)
        with open(self.agent.config, "w") as f:
            f.write(cfg)
        self.agent.start()
        self.addCleanup(self.agent.stop)

    def check_registered_and_relayed(self):
        self.assertTrue(self.rs.wait_registered(self.agent.id, timeout=15),
                        self.agent.log())
        st = self.agent.wait_status(lambda s: s["registered"])
        self.assertEqual(st["registration_mode"], "tcp")
        self.assertTrue(st["encrypted"], st)
        self.assertEqual(st["nat_type"], "symmetric")
        self.assertIsNotNone(st["proxy"])
        # A punch request becomes a host-initiated relay through the
        # proxy (relay mode, §4.1).
        self.rs.force_punch = True
        res = initiator.connect(self.rs.addr, self.rs.licence_key,
                                self.agent.id, "relay")
        msg, _ = initiator.read_first_message(res)
        host_id, _ = initiator.open_signed_id(res, msg)
        self.assertEqual(host_id, self.agent.id)
        res.close()

    def test_http_connect_with_basic_auth(self):
        port = self.tinyproxy(auth=True)
        self.run_agent(f"http://{USER}@127.0.0.1:{port}")
        self.check_registered_and_relayed()
        self.assertIn("CONNECT", self.server_log("tinyproxy"))

    def test_socks5_with_password(self):
        port = self.microsocks()
        self.run_agent(f"socks5://bob@127.0.0.1:{port}")
        self.check_registered_and_relayed()

    def test_https_proxy(self):
        ca = self.make_ca("ca", "Outpost test CA")
        cert, key = self.make_cert("proxy", "ca", "localhost")
        port = self.stunnel(self.tinyproxy(auth=True), cert, key)
        self.run_agent(f"https://{USER}@localhost:{port}",
                       extra="")
        with open(self.agent.config) as f:
            cfg = f.read()
        self.assertIn("proxy:", cfg)
        # proxy_ca must name our throwaway CA: restart with it.
        self.agent.stop()
        with open(self.agent.config, "w") as f:
            f.write(cfg.replace("server:\n", f"server:\n  proxy_ca: {ca}\n",
                                1))
        self.agent.start()
        self.check_registered_and_relayed()

    def test_oss_server_refuses_tcp_registration(self):
        port = self.tinyproxy(auth=True)
        self.run_agent(f"http://{USER}@127.0.0.1:{port}", tcp_mode="oss")
        st = self.agent.wait_status(
            lambda s: s.get("registration_result") == "NOT_SUPPORT",
            timeout=15)
        self.assertFalse(st["registered"])
        self.assertIn("UDP registration only", st["registration_advice"])

    def test_wrong_proxy_password_is_reported(self):
        port = self.tinyproxy(auth=True)
        self.pwfile = self.write_secret("pw", "wrong\n")
        self.run_agent(f"http://{USER}@127.0.0.1:{port}")
        self.agent.wait_status(lambda s: not s["registered"], timeout=5)
        import time
        time.sleep(2)
        self.assertIn("authentication", self.agent.log().lower())
        self.assertNotIn("wrong\n", self.agent.log())


if __name__ == "__main__":
    main()
