#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`outpost doctor` on real loopback sockets against the independent test
peers: servers up (with and without the agent running), down, UDP
blocked, hostile UDP answers (garbage, wrong kinds, spoofed sources),
configuration errors, and, once the server.proxy keys exist, an HTTP
CONNECT proxy with authentication and an HTTPS proxy with the right and
a wrong CA (TLS interception)."""
import json
import os
import socket
import subprocess
import threading
import time

import common
from agent import Agent, free_port
from common import TempDirCase, main, run
from proxies import PASSWORD, USER, RealProxies

from relay import RelayServer
from rendezvous import RendezvousServer, free_rendezvous_port

EX_USAGE = 64
EX_UNAVAILABLE = 69
EX_CONFIG = 78
WHOLE_RUN_LIMIT = 15.0


class UdpResponder:
    """A tiny UDP 'server' on 127.0.0.1:0 that answers every datagram with
    replies(data) -> list of bytes, optionally from another socket (a
    spoofed source as far as the doctor is concerned)."""

    def __init__(self, replies, from_other_port=False):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.out = self.sock
        if from_other_port:
            self.out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.out.bind(("127.0.0.1", 0))
        self.replies = replies
        self.received = []
        self.stopped = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stopped:
            try:
                data, addr = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            self.received.append(data)
            for r in self.replies(data):
                self.out.sendto(r, addr)

    def stop(self):
        self.stopped = True
        self.thread.join(2)
        self.sock.close()
        if self.out is not self.sock:
            self.out.close()


class DoctorCase(TempDirCase):
    def config(self, rendezvous, key=None, relay=None, extra="",
               state=None):
        lines = [f"state_dir: {state or os.path.join(self.tmp, 'state')}",
                 "log:", "  target: stderr",
                 "server:", f"  rendezvous: {rendezvous}"]
        if key:
            lines.append(f"  key: {key}")
        if relay:
            lines.append(f"  relay: {relay}")
        return self.write_config("\n".join(lines) + "\n" + extra)

    def doctor(self, cfg, *args):
        t0 = time.monotonic()
        p = run(["-c", cfg, "doctor"] + list(args), timeout=40)
        took = time.monotonic() - t0
        print(f"  doctor {' '.join(args)} took {took * 1000:.0f} ms, "
              f"exit {p.returncode}")
        self.assertEqual(p.stderr, "", p.stderr)
        self.assertLess(took, WHOLE_RUN_LIMIT)
        return p, took

    def doctor_json(self, cfg):
        p, took = self.doctor(cfg, "--json")
        data = json.loads(p.stdout)
        self.assertEqual(data["exit_code"], p.returncode)
        checks = {c["name"]: c for c in data["checks"]}
        for c in data["checks"]:
            self.assertIn(c["status"], ("ok", "warn", "fail", "skip"), c)
            self.assertTrue(c["figure"], c)
            if c["status"] in ("fail", "warn"):
                self.assertTrue(c["fix"], c)
        return p, data, checks, took

    def dump(self, data):
        return json.dumps(data, indent=1)


class ServersBase(DoctorCase):
    """hbbs and hbbr stand-ins on random ports, the relay keyed like hbbs."""

    def setUp(self):
        super().setUp()
        self.relay = RelayServer().start()
        self.rs = RendezvousServer(relay_servers=[self.relay.address])
        self.rs.start()
        self.relay.key = self.rs.licence_key
        self.addCleanup(self.relay.stop)
        self.addCleanup(self.rs.stop)

    def agent(self):
        return Agent(self.tmp, rendezvous=f"127.0.0.1:{self.rs.port}",
                     key=self.rs.public_key_b64, relay=self.relay.address)


class Servers(ServersBase):
    def test_up_every_check_ok(self):
        agent = self.agent().start()
        self.addCleanup(agent.stop)
        self.assertTrue(self.rs.wait_registered(agent.id, timeout=5),
                        agent.log())
        agent.wait_status(lambda s: s["nat_type"] != "unknown")
        pk_before = len(self.rs.events("register_pk"))
        addr_before = self.rs.peer_info(agent.id)["socket_addr"]
        p, data, checks, took = self.doctor_json(agent.config)
        self.assertEqual(p.returncode, 0, self.dump(data))
        self.assertTrue(data["reachable"])
        for c in data["checks"]:
            self.assertEqual(c["status"], "ok", self.dump(c))
        self.assertEqual(
            list(checks),
            ["config", "agent", "dns-rendezvous", "dns-relay",
             "tcp-rendezvous", "tcp-nat", "tcp-relay", "relay-key",
             "udp-register", "nat-test", "rtt"])
        for name in ("tcp-rendezvous", "tcp-nat", "tcp-relay",
                     "udp-register", "rtt"):
            self.assertIsInstance(checks[name]["ms"], float, name)
            self.assertIn(" ms", checks[name]["figure"], name)
        self.assertIn("registered", checks["agent"]["figure"])
        self.assertIn(agent.id, checks["agent"]["figure"])
        self.assertIn("asymmetric", checks["nat-test"]["figure"])
        # The agent runs: the probe must not borrow its ID (hbbs would
        # send the agent's incoming connections to the probe's socket).
        self.assertTrue(data["probe_id_random"])
        self.assertNotEqual(data["probe_id"], agent.id)
        self.assertIn("the agent is running",
                      checks["udp-register"]["detail"])
        ids = [e.msg.id for e in self.rs.events("register_peer")]
        self.assertIn(data["probe_id"], ids)
        self.assertEqual(len(self.rs.events("register_pk")), pk_before)
        # hbbs still routes the agent's connections to the agent.
        self.assertEqual(self.rs.peer_info(agent.id)["socket_addr"],
                         addr_before)
        agent.wait_status(lambda s: s["registered"])
        # Text form: one line per check, then the verdict.
        p, _ = self.doctor(agent.config)
        self.assertEqual(p.returncode, 0, p.stdout)
        lines = p.stdout.splitlines()
        print("\n".join("    " + line for line in lines))
        self.assertEqual(len(lines), len(checks) + 1)
        for line in lines[:-1]:
            self.assertTrue(line.startswith("ok    "), line)
        self.assertTrue(lines[-1].startswith("reachable: yes"), lines[-1])

    def test_real_id_when_agent_stopped(self):
        agent = self.agent()  # made its state (`outpost id`), not running
        p, data, checks, _ = self.doctor_json(agent.config)
        self.assertEqual(p.returncode, 0, self.dump(data))
        self.assertEqual(checks["agent"]["status"], "warn")
        self.assertIn("not running", checks["agent"]["figure"])
        self.assertFalse(data["probe_id_random"])
        self.assertEqual(data["probe_id"], agent.id)
        udp = checks["udp-register"]
        self.assertEqual(udp["status"], "ok", self.dump(udp))
        self.assertIn(f"ID {agent.id}", udp["figure"])
        # Never known to this hbbs: it asks for the key, and the doctor
        # must not answer with RegisterPk.
        self.assertIn("asks for the key", udp["figure"])
        ev = self.rs.events("register_peer")
        self.assertEqual([e.msg.id for e in ev], [agent.id])
        self.assertEqual(self.rs.events("register_pk"), [])
        self.assertFalse(self.rs.known(agent.id))

    def test_no_state_creates_nothing(self):
        state = os.path.join(self.tmp, "never-made")
        cfg = self.config(f"127.0.0.1:{self.rs.port}",
                          key=self.rs.public_key_b64,
                          relay=self.relay.address, state=state)
        p, data, checks, _ = self.doctor_json(cfg)
        self.assertEqual(p.returncode, 0, self.dump(data))
        self.assertFalse(os.path.exists(state))
        self.assertTrue(data["probe_id_random"])
        self.assertIn("creates nothing", checks["udp-register"]["detail"])

    def test_udp_blocked(self):
        self.rs.drop_udp = True
        cfg = self.config(f"127.0.0.1:{self.rs.port}",
                          key=self.rs.public_key_b64,
                          relay=self.relay.address)
        p, data, checks, took = self.doctor_json(cfg)
        # OSS hbbs registers hosts over UDP only: not reachable by ID.
        self.assertEqual(p.returncode, EX_UNAVAILABLE, self.dump(data))
        self.assertFalse(data["reachable"])
        udp = checks["udp-register"]
        self.assertEqual(udp["status"], "fail")
        self.assertIn("no RegisterPeerResponse within 3 s", udp["figure"])
        self.assertIn(f"UDP {self.rs.port} blocked: open outbound UDP "
                      f"{self.rs.port}", udp["fix"])
        self.assertIn("relay still functions", udp["fix"])
        for name in ("tcp-rendezvous", "tcp-nat", "tcp-relay", "relay-key",
                     "nat-test", "dns-rendezvous"):
            self.assertEqual(checks[name]["status"], "ok", name)
        self.assertGreaterEqual(took, 2.9)  # the whole 3 s answer window
        self.assertGreaterEqual(
            len(self.rs.events("register_peer", transport="udp")), 3)

    def test_wrong_licence_key(self):
        other = RendezvousServer().start()  # only for a second key
        other.stop()
        cfg = self.config(f"127.0.0.1:{self.rs.port}",
                          key=other.public_key_b64,
                          relay=self.relay.address)
        p, data, checks, _ = self.doctor_json(cfg)
        self.assertEqual(p.returncode, EX_UNAVAILABLE, self.dump(data))
        rk = checks["relay-key"]
        self.assertEqual(rk["status"], "fail", self.dump(rk))
        self.assertIn("refuses the licence key", rk["figure"])
        self.assertIn("server.key does not match", rk["fix"])
        self.assertEqual(checks["tcp-relay"]["status"], "ok")

    def test_no_key_warns(self):
        self.relay.key = None  # an unkeyed hbbr accepts anything
        cfg = self.config(f"127.0.0.1:{self.rs.port}",
                          relay=self.relay.address)
        p, data, checks, _ = self.doctor_json(cfg)
        self.assertEqual(p.returncode, 0, self.dump(data))
        self.assertEqual(checks["config"]["status"], "warn")
        self.assertIn("server.key", checks["config"]["fix"])
        self.assertEqual(checks["relay-key"]["status"], "ok")


class Down(DoctorCase):
    def test_everything_down(self):
        r = free_rendezvous_port()
        cfg = self.config(f"127.0.0.1:{r}", key="A" * 43 + "=")
        p, data, checks, took = self.doctor_json(cfg)
        self.assertEqual(p.returncode, EX_UNAVAILABLE, self.dump(data))
        self.assertFalse(data["reachable"])
        for name in ("tcp-rendezvous", "tcp-relay", "udp-register"):
            self.assertEqual(checks[name]["status"], "fail", name)
            self.assertIn("nothing listens on", checks[name]["fix"], name)
        self.assertIn(f"127.0.0.1:{r + 1}", checks["tcp-relay"]["figure"])
        self.assertIn("server.relay is empty", checks["tcp-relay"]["fix"])
        self.assertIn("ICMP", checks["udp-register"]["figure"])
        self.assertEqual(checks["tcp-nat"]["status"], "warn")
        self.assertEqual(checks["nat-test"]["status"], "warn")
        self.assertEqual(checks["relay-key"]["status"], "skip")
        self.assertEqual(checks["rtt"]["status"], "skip")
        p, _ = self.doctor(cfg)
        self.assertEqual(p.returncode, EX_UNAVAILABLE)
        self.assertRegex(p.stdout, r"(?m)^FAIL  tcp-rendezvous  .*; fix: ")
        self.assertRegex(p.stdout, r"(?m)^reachable: NO \(3 failures")

    def test_black_holed(self):
        # Listeners whose accept queue is full drop SYNs, like a firewall
        # that drops; a bound UDP socket that never answers. Every probe
        # must time out on its own deadline, and the run stay short.
        r = free_rendezvous_port()
        keep = []
        self.addCleanup(lambda: [s.close() for s in keep])
        for port in (r - 1, r, r + 1):
            lst = socket.socket()
            lst.bind(("127.0.0.1", port))
            lst.listen(0)
            keep.append(lst)
            for _ in range(8):
                c = socket.socket()
                c.setblocking(False)
                try:
                    c.connect(("127.0.0.1", port))
                except BlockingIOError:
                    pass
                keep.append(c)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", r))
        keep.append(udp)
        cfg = self.config(f"127.0.0.1:{r}", key="A" * 43 + "=")
        p, data, checks, took = self.doctor_json(cfg)
        self.assertEqual(p.returncode, EX_UNAVAILABLE, self.dump(data))
        for name in ("tcp-rendezvous", "tcp-relay"):
            self.assertEqual(checks[name]["status"], "fail", name)
            self.assertIn("within 5 s", checks[name]["figure"])
            self.assertIn("blocked by a firewall", checks[name]["fix"])
        udp_check = checks["udp-register"]
        self.assertEqual(udp_check["status"], "fail")
        self.assertIn("no answer over UDP or TCP", udp_check["fix"])
        self.assertLess(took, 8.0)

    def test_resolver_hangs(self):
        # A private network and mount namespace whose resolv.conf names a
        # DNS server that never answers: the resolver threads outlive the
        # 4 s DNS budget and the command must not wait for them.
        if subprocess.run(["unshare", "-rmn", "true"],
                          capture_output=True).returncode != 0:
            self.skipTest("no user/mount/network namespaces here")
        resolv = self.write_config("nameserver 127.0.0.1\n", "resolv.conf",
                                   0o644)
        cfg = self.config("hbbs.example.net", relay="hbbr.example.org")
        silent = ("import socket,time\n"
                  "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                  "s.bind(('127.0.0.1',53))\n"
                  "t=socket.socket(); t.bind(('127.0.0.1',53)); t.listen(0)\n"
                  "time.sleep(60)\n")
        script = (f"ip link set lo up && "
                  f"mount --bind {resolv} /etc/resolv.conf && "
                  f"{{ /usr/bin/python3 -c \"$SILENT\" >/dev/null 2>&1 & "
                  f"pid=$!; }} && sleep 0.3 && "
                  f"{{ \"$OUTPOST\" -c {cfg} doctor --json; rc=$?; "
                  f"kill $pid; exit $rc; }}")
        env = dict(os.environ, SILENT=silent, OUTPOST=common.OUTPOST)
        t0 = time.monotonic()
        p = subprocess.run(["unshare", "-rmn", "sh", "-c", script], env=env,
                           capture_output=True, text=True, timeout=60)
        took = time.monotonic() - t0
        print(f"  doctor --json with a silent resolver took "
              f"{took * 1000:.0f} ms, exit {p.returncode}")
        self.assertEqual(p.returncode, EX_UNAVAILABLE, p.stdout + p.stderr)
        checks = {c["name"]: c for c in json.loads(p.stdout)["checks"]}
        for name in ("dns-rendezvous", "dns-relay"):
            self.assertEqual(checks[name]["status"], "fail", name)
            self.assertIn("no answer from the resolver within 4 s",
                          checks[name]["figure"])
        self.assertLess(took, 7.0)

    def test_unresolvable_name(self):
        cfg = self.config("doctor-test.invalid:21116")
        p, data, checks, took = self.doctor_json(cfg)
        self.assertEqual(p.returncode, EX_UNAVAILABLE, self.dump(data))
        self.assertEqual(checks["dns-rendezvous"]["status"], "fail")
        self.assertIn("getent hosts doctor-test.invalid",
                      checks["dns-rendezvous"]["fix"])
        for name in ("tcp-rendezvous", "tcp-relay", "nat-test"):
            self.assertEqual(checks[name]["status"], "skip", name)
        self.assertEqual(checks["udp-register"]["status"], "fail")


class HostileUdp(DoctorCase):
    """The doctor's UDP probe against answers no hbbs would send."""

    def run_against(self, replies, from_other_port=False):
        srv = UdpResponder(replies, from_other_port)
        self.addCleanup(srv.stop)
        cfg = self.config(f"127.0.0.1:{srv.port}")
        p, data, checks, took = self.doctor_json(cfg)
        self.assertEqual(p.returncode, EX_UNAVAILABLE, self.dump(data))
        self.assertTrue(srv.received, "no datagram reached the responder")
        return checks["udp-register"], took, srv

    def test_garbage(self):
        garbage = [b"\xff" * 7, os.urandom(40), b"",
                   b"\x0a\xff\xff\xff\xff\x0f", b"\x00" * 4000]
        udp, took, _ = self.run_against(lambda d: garbage)
        self.assertEqual(udp["status"], "fail", udp)
        self.assertIn("malformed", udp["figure"])
        self.assertIn("something other than hbbs", udp["fix"])

    def test_wrong_message_kind(self):
        # RendezvousMessage{register_pk_response{}}: valid, not ours.
        udp, _, _ = self.run_against(lambda d: [b"\x82\x01\x00"])
        self.assertEqual(udp["status"], "fail", udp)
        self.assertRegex(udp["figure"], r"sent 0 malformed and [1-9] "
                         r"unexpected datagram")

    def test_spoofed_source_ignored(self):
        # A valid RegisterPeerResponse, but from another port: refused.
        udp, took, _ = self.run_against(lambda d: [b"\x3a\x00"],
                                        from_other_port=True)
        self.assertEqual(udp["status"], "fail", udp)
        self.assertIn("no RegisterPeerResponse", udp["figure"])
        self.assertGreaterEqual(took, 2.9)

    def test_minimal_valid_answer(self):
        # Control for the three above: the same responder, a proper
        # answer from the right address, passes the UDP check.
        srv = UdpResponder(lambda d: [b"\x3a\x02\x10\x01"])
        self.addCleanup(srv.stop)
        cfg = self.config(f"127.0.0.1:{srv.port}")
        p, data, checks, _ = self.doctor_json(cfg)
        udp = checks["udp-register"]
        self.assertEqual(udp["status"], "ok", udp)
        self.assertIn("RegisterPeerResponse from", udp["figure"])
        # One RegisterPeer, nothing else: the doctor never sends
        # RegisterPk (its field number, 15, would show as tag 0x7a).
        self.assertEqual(len(srv.received), 1)
        self.assertEqual(srv.received[0][0], 0x32)  # field 6, RegisterPeer


class ConfigErrors(DoctorCase):
    def test_invalid_file(self):
        cfg = self.write_config("server:\n  rendezvous: [nope\n")
        p = run(["-c", cfg, "doctor", "--json"])
        self.assertEqual(p.returncode, EX_CONFIG, p.stdout + p.stderr)
        data = json.loads(p.stdout)
        self.assertFalse(data["reachable"])
        self.assertEqual(data["checks"][0]["name"], "config")
        self.assertEqual(data["checks"][0]["status"], "fail")
        self.assertIn("config check", data["checks"][0]["fix"])

    def test_unknown_key(self):
        cfg = self.write_config("server:\n  rendezvus: x\n")
        p = run(["-c", cfg, "doctor"])
        self.assertEqual(p.returncode, EX_CONFIG, p.stdout + p.stderr)
        self.assertTrue(p.stdout.startswith("FAIL  config"), p.stdout)

    def test_no_rendezvous(self):
        # A valid file without a server: not reachable by ID (69), which
        # is advice, not a configuration error (78).
        cfg = self.write_config(f"state_dir: {self.tmp}/s\n")
        p = run(["-c", cfg, "doctor"])
        self.assertEqual(p.returncode, 69, p.stdout + p.stderr)
        self.assertIn(f"server.rendezvous is not set in {cfg}", p.stdout)
        self.assertIn("fix: set server.rendezvous", p.stdout)
        self.assertIn("reachable by ID: no", p.stdout)
        self.assertNotIn("config line above", p.stdout)
        self.assertFalse(os.path.exists(f"{self.tmp}/s"))

    def test_missing_file_and_usage(self):
        p = run(["-c", f"{self.tmp}/absent.yaml", "doctor"])
        self.assertEqual(p.returncode, EX_CONFIG, p.stdout + p.stderr)
        self.assertEqual(run(["doctor", "--bogus"]).returncode, EX_USAGE)
        p = run(["doctor", "--help"])
        self.assertEqual(p.returncode, 0)
        self.assertIn("usage: outpost [-c FILE] doctor", p.stdout)


def proxy_keys_supported(tmp):
    """True once the build knows server.proxy (added by the proxy work)."""
    path = os.path.join(tmp, "probe.yaml")
    with open(path, "w") as f:
        f.write("server:\n  proxy: http://127.0.0.1:1\n")
    os.chmod(path, 0o600)
    return run(["-c", path, "config", "check"]).returncode == 0


class Proxy(RealProxies, ServersBase):
    def setUp(self):
        super().setUp()
        if not proxy_keys_supported(self.tmp):
            self.skipTest("this build has no server.proxy key yet")
        self.pwfile = self.write_config(PASSWORD + "\n", "pw")
        # Behind a proxy the agent registers over TCP: Server Pro only.
        self.rs.tcp_mode = "pro"

    def proxy_config(self, url, pwfile=None, ca=None, key=None):
        extra = [f"  proxy: {url}"]
        if pwfile:
            extra.append(f"  proxy_password_file: {pwfile}")
        if ca:
            extra.append(f"  proxy_ca: {ca}")
        # The server: section is written by config(); append to it.
        cfg = self.config(f"127.0.0.1:{self.rs.port}",
                          key=key or self.rs.public_key_b64,
                          relay=self.relay.address)
        with open(cfg, "a") as f:
            f.write("\n".join(extra) + "\n")
        return cfg

    def test_http_connect_with_auth(self):
        port = self.tinyproxy()
        cfg = self.proxy_config(f"http://{USER}@127.0.0.1:{port}",
                                self.pwfile)
        p, data, checks, _ = self.doctor_json(cfg)
        self.assertEqual(p.returncode, 0, self.dump(data))
        for name in ("proxy", "proxy-auth", "tcp-rendezvous", "tcp-relay",
                     "relay-key", "udp-register", "tcp-register"):
            self.assertEqual(checks[name]["status"], "ok", name)
        self.assertIn("Server Pro", checks["tcp-register"]["figure"])
        self.assertIn("through the proxy", checks["tcp-rendezvous"]["figure"])
        for name in ("tcp-nat", "nat-test"):
            self.assertEqual(checks[name]["status"], "skip", name)
        self.assertNotIn("proxy-tls", checks)
        self.assertNotIn(PASSWORD, p.stdout)
        p, _ = self.doctor(cfg, "-v")
        print("\n".join("    " + line for line in p.stdout.splitlines()))
        self.assertNotIn(PASSWORD, p.stdout)

    def test_oss_hbbs_behind_proxy(self):
        # OSS hbbs takes registrations over UDP only: through a proxy the
        # agent cannot register, although every connection works.
        self.rs.tcp_mode = "oss"
        port = self.tinyproxy()
        cfg = self.proxy_config(f"http://{USER}@127.0.0.1:{port}",
                                self.pwfile)
        p, data, checks, took = self.doctor_json(cfg)
        self.assertEqual(p.returncode, EX_UNAVAILABLE, self.dump(data))
        reg = checks["tcp-register"]
        self.assertEqual(reg["status"], "fail", self.dump(reg))
        self.assertIn("OSS hbbs", reg["figure"])
        self.assertIn("remove server.proxy", reg["fix"])
        for name in ("proxy", "proxy-auth", "tcp-rendezvous", "tcp-relay",
                     "udp-register"):
            self.assertEqual(checks[name]["status"], "ok", name)

    def test_pro_key_mismatch_behind_proxy(self):
        other = RendezvousServer().start()  # only for a second key
        other.stop()
        port = self.tinyproxy()
        cfg = self.proxy_config(f"http://{USER}@127.0.0.1:{port}",
                                self.pwfile, key=other.public_key_b64)
        p, data, checks, _ = self.doctor_json(cfg)
        self.assertEqual(p.returncode, EX_UNAVAILABLE, self.dump(data))
        reg = checks["tcp-register"]
        self.assertEqual(reg["status"], "fail", self.dump(reg))
        self.assertIn("not signed by server.key", reg["figure"])

    def test_udp_blocked_behind_proxy_only_warns(self):
        self.rs.drop_udp = True
        port = self.tinyproxy()
        cfg = self.proxy_config(f"http://{USER}@127.0.0.1:{port}",
                                self.pwfile)
        p, data, checks, _ = self.doctor_json(cfg)
        self.assertEqual(p.returncode, 0, self.dump(data))
        udp = checks["udp-register"]
        self.assertEqual(udp["status"], "warn", self.dump(udp))
        self.assertIn("see tcp-register", udp["fix"])
        self.assertEqual(checks["tcp-register"]["status"], "ok")

    def test_http_wrong_password(self):
        port = self.tinyproxy()
        bad = self.write_config("wrong-password\n", "bad")
        cfg = self.proxy_config(f"http://{USER}@127.0.0.1:{port}", bad)
        p, data, checks, _ = self.doctor_json(cfg)
        self.assertEqual(p.returncode, EX_UNAVAILABLE, self.dump(data))
        auth = checks["proxy-auth"]
        self.assertEqual(auth["status"], "fail", self.dump(auth))
        self.assertIn("server.proxy_password_file", auth["fix"])
        self.assertEqual(checks["proxy"]["status"], "ok")
        self.assertEqual(checks["tcp-rendezvous"]["status"], "skip")
        self.assertNotIn("wrong-password", p.stdout)
        p, _ = self.doctor(cfg)
        print("\n".join("    " + line for line in p.stdout.splitlines()))

    def test_proxy_down(self):
        cfg = self.proxy_config(f"http://127.0.0.1:{free_port()}")
        p, data, checks, _ = self.doctor_json(cfg)
        self.assertEqual(p.returncode, EX_UNAVAILABLE, self.dump(data))
        self.assertEqual(checks["proxy"]["status"], "fail")
        self.assertIn("server.proxy", checks["proxy"]["fix"])

    def test_not_a_proxy(self):
        # server.proxy names hbbs itself: it answers no CONNECT.
        cfg = self.proxy_config(f"http://127.0.0.1:{self.rs.port}")
        p, data, checks, _ = self.doctor_json(cfg)
        self.assertEqual(p.returncode, EX_UNAVAILABLE, self.dump(data))
        self.assertEqual(checks["proxy"]["status"], "ok")
        tcp = checks["tcp-rendezvous"]
        self.assertEqual(tcp["status"], "fail", self.dump(tcp))
        self.assertIn("does not answer like a proxy (scheme http)",
                      tcp["fix"])

    def test_https_scheme_on_a_plain_proxy(self):
        port = self.tinyproxy()
        cfg = self.proxy_config(f"https://{USER}@127.0.0.1:{port}",
                                self.pwfile)
        p, data, checks, _ = self.doctor_json(cfg)
        self.assertEqual(p.returncode, EX_UNAVAILABLE, self.dump(data))
        tls = checks["proxy-tls"]
        self.assertEqual(tls["status"], "fail", self.dump(tls))
        self.assertIn("an HTTPS proxy?", tls["fix"])

    def https_proxy(self):
        self.make_ca("ca", "Outpost test proxy CA")
        cert, key = self.make_cert("proxy", "ca", "localhost")
        return self.stunnel(self.tinyproxy(), cert, key)

    def test_https_right_ca(self):
        port = self.https_proxy()
        cfg = self.proxy_config(f"https://{USER}@localhost:{port}",
                                self.pwfile, os.path.join(self.tmp, "ca.pem"))
        p, data, checks, _ = self.doctor_json(cfg)
        self.assertEqual(p.returncode, 0, self.dump(data))
        tls = checks["proxy-tls"]
        self.assertEqual(tls["status"], "ok", self.dump(tls))
        self.assertIn("Outpost test proxy CA", tls["figure"])
        self.assertIn("SHA-256", tls["detail"])

    def test_https_interception_detected(self):
        port = self.https_proxy()
        # The admin pinned another CA: what the proxy presents was not
        # issued by it, as with a TLS-inspection box on the path.
        pinned = self.make_ca("pinned", "Corporate proxy CA")
        cfg = self.proxy_config(f"https://{USER}@localhost:{port}",
                                self.pwfile, pinned)
        p, data, checks, _ = self.doctor_json(cfg)
        self.assertEqual(p.returncode, EX_UNAVAILABLE, self.dump(data))
        tls = checks["proxy-tls"]
        self.assertEqual(tls["status"], "fail", self.dump(tls))
        self.assertIn("TLS interception suspected", tls["figure"])
        self.assertIn("Outpost test proxy CA", tls["figure"])
        self.assertIn("Corporate proxy CA", tls["figure"])
        self.assertIn("server.proxy_ca", tls["fix"])
        p, _ = self.doctor(cfg)
        print("\n".join("    " + line for line in p.stdout.splitlines()))


if __name__ == "__main__":
    main()
