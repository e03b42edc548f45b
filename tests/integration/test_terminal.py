#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Terminal sessions end to end (protocol reference §13.7, issue 14 part
3): the agent with policy.allow.terminal and policy.terminal.*, the
independent technician client (tests/peers/client_terminal.py) logged in
over direct IP as a terminal session.

  - PeerInfo offers terminals (features.terminal, version 1.4.1) only when
    the policy allows them;
  - commands run as the configured account and their output comes back;
    `stty size` sees the open size and a resize; Ctrl-C reaches the
    foreground job; `exit 3` closes the terminal with exit status 3;
  - two terminals in one session, each on its own tty;
  - data flagged compressed that is not zstd ends that terminal only;
  - 100 MB of output streamed while the agent's RSS stays bounded, also
    while the client stops reading for a while (flow control);
  - refusals: terminals not allowed (the login), no account configured,
    root without allow_root (the open, with a message);
  - audit: terminal.open / terminal.close with the account, byte counts,
    exit status and the typescript path; the typescript holds the output;
  - a reload that disallows terminals closes the session's terminals;
  - privilege separation: the shell is the monitor's child, not the
    network process's, and killing the network process (SIGKILL) ends
    its shells; the restarted one opens terminals again.

Written from the protocol reference, not from the agent's code.  Run as
root (CI) it creates a system account with a real shell for the shells;
otherwise the shells run as the current user."""
import json
import os
import pwd
import re
import signal
import time

from agent import Agent
from common import TempDirCase, ensure_test_user, main, run

import client

PASSWORD = "terminal test password"
TEST_USER = "outpost-termtest"
MB = 1 << 20


def ensure_user():
    """The account the shells run as: a system account with bash as its
    login shell (created when root), else the current user."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.getuid()).pw_name
    ensure_test_user(TEST_USER, "Outpost terminal tests", shell="/bin/bash")
    return TEST_USER


def cpu_s(pid=None):
    """CPU seconds (user + system) of pid, or of this process."""
    if pid is None:
        t = os.times()
        return t.user + t.system
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class TerminalCase(TempDirCase):
    def setUp(self):
        super().setUp()
        self.user = ensure_user()
        self.agent = None
        self.clients = []
        self.ts_dir = os.path.join(self.tmp, "typescripts")

    def tearDown(self):
        for c in self.clients:
            c.close()
        if self.agent is not None:
            self.agent.stop()
        super().tearDown()

    def start(self, allow=True, user=None, allow_root=False, record=False,
              shell="/bin/bash", max_per_session=4):
        user = self.user if user is None else user
        extra = ("policy:\n  allow:\n    terminal: " +
                 ("true" if allow else "false") + "\n  terminal:\n"
                 f"    user: '{user}'\n    shell: {shell}\n"
                 f"    allow_root: {'true' if allow_root else 'false'}\n"
                 f"    record: {'true' if record else 'false'}\n"
                 f"    record_dir: {self.ts_dir}\n"
                 f"    max_per_session: {max_per_session}\n")
        self.agent = Agent(self.tmp, extra=extra)
        self.agent.set_password(PASSWORD)
        # A small ASan quarantine: the sanitizer's own hold on freed
        # memory would otherwise hide what the RSS bound is about.
        os.environ["ASAN_OPTIONS"] = (os.environ.get("ASAN_OPTIONS", "") +
                                      ":quarantine_size_mb=8").lstrip(":")
        self.agent.start()
        self.agent.log_with("direct", 5)

    def connect(self, kind="terminal", expect_login=True):
        c = client.Client(("127.0.0.1", self.agent.direct_port), direct=True,
                          kind=kind, timeout=30)
        self.clients.append(c)
        c.handshake()
        pi = c.login(PASSWORD)
        if expect_login:
            self.assertNotIsInstance(pi, str, f"login: {pi}")
        return c, pi

    def open(self, c, tid, rows=24, cols=80):
        c.open_terminal(tid, rows=rows, cols=cols)
        o = c.wait_terminal_opened(tid)
        return o

    def audit_events(self, prefix="terminal."):
        out = []
        for s in json.loads(run(["-c", self.agent.config, "audit", "list",
                                 "--json"]).stdout):
            p = run(["-c", self.agent.config, "audit", "show", str(s["id"]),
                     "--json"])
            for e in json.loads(p.stdout).get("events", []):
                if e.get("type", "").startswith(prefix):
                    f = e.get("fields", {})
                    e = dict(e, fields=json.loads(f) if isinstance(f, str) else f)
                    out.append(e)
        return out

    # ------------------------------------------------------------ tests
    def test_commands_resize_ctrl_c_exit(self):
        self.start(record=True)
        c, pi = self.connect()
        self.assertTrue(pi.features.terminal, c.summary())
        self.assertEqual(pi.version, "1.4.1")
        o = self.open(c, 1, rows=24, cols=80)
        self.assertTrue(o.success, o.message)
        self.assertGreater(o.pid, 0)
        self.assertTrue(o.service_id)
        # The shell runs as the configured account.
        self.assertIn(self.user, c.run_terminal_command(1, "id -un"))
        self.assertIn("24 80", c.run_terminal_command(1, "stty size"))
        c.resize_terminal(1, 40, 132)
        time.sleep(0.2)
        self.assertIn("40 132", c.run_terminal_command(1, "stty size"))
        # Ctrl-C reaches the foreground job: sleep 100 ends at once with
        # 130 (128 + SIGINT).
        t0 = time.monotonic()
        c.send_terminal_data(1, "sleep 100\r")
        time.sleep(0.5)
        c.send_terminal_data(1, "\x03")
        out = c.run_terminal_command(1, "echo rc=$?", timeout=10)
        self.assertLess(time.monotonic() - t0, 10)
        self.assertIn("rc=130", out)
        # exit closes the terminal with its status.
        c.send_terminal_data(1, "echo typescript-marker-$((6*7))\r")
        c.wait_terminal_output(1, "typescript-marker-42")
        c.send_terminal_data(1, "exit 3\r")
        self.assertEqual(c.wait_terminal_closed(1, timeout=10), 3)
        # Audit: one open and one close with the account, counts, status
        # and the typescript, which holds the output.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            ev = self.audit_events()
            if any(e["type"] == "terminal.close" for e in ev):
                break
            time.sleep(0.2)
        opens = [e["fields"] for e in ev if e["type"] == "terminal.open"]
        closes = [e["fields"] for e in ev if e["type"] == "terminal.close"]
        self.assertEqual(len(opens), 1, ev)
        self.assertEqual(len(closes), 1, ev)
        self.assertTrue(opens[0]["success"])
        self.assertEqual(opens[0]["user"], self.user)
        self.assertEqual(closes[0]["exit_code"], 3)
        self.assertEqual(closes[0]["terminal_id"], 1)
        self.assertGreater(closes[0]["bytes_in"], 20)
        self.assertGreater(closes[0]["bytes_out"], 20)
        ts = closes[0]["typescript"]
        self.assertTrue(ts.startswith(self.ts_dir + "/"), ts)
        self.assertEqual(os.stat(ts).st_mode & 0o777, 0o600)
        with open(ts, "rb") as f:
            self.assertIn(b"typescript-marker-42", f.read())
        print(f"audit close: {closes[0]}")

    def test_two_terminals_and_bad_input(self):
        self.start(max_per_session=2)
        c, _ = self.connect()
        self.assertTrue(self.open(c, 1).success)
        self.assertTrue(self.open(c, 2).success)
        # policy.terminal.max_per_session: a third is refused, saying so.
        o = self.open(c, 7)
        self.assertFalse(o.success)
        self.assertIn("at most 2", o.message)
        # Compressed input (zstd, as the flag allows) is typed too.
        c.send_terminal_data(1, "echo zstd-$((40+2))\r", compressed=True)
        c.wait_terminal_output(1, "zstd-42")
        tty1 = c.run_terminal_command(1, "tty").strip().splitlines()[-1]
        tty2 = c.run_terminal_command(2, "tty").strip().splitlines()[-1]
        self.assertRegex(tty1, r"/dev/pts/\d+")
        self.assertNotEqual(tty1, tty2)
        # Input in one does not show in the other.
        since = len(c.terminal(2).output)
        c.run_terminal_command(1, "echo only-in-one")
        c.pump(0.3)
        self.assertNotIn(b"only-in-one", bytes(c.terminal(2).output[since:]))
        # CloseTerminal hangs terminal 1 up (bash: 129, SIGHUP); 2 lives.
        c.close_terminal(1)
        self.assertEqual(c.wait_terminal_closed(1, timeout=10), 129)
        self.assertIn("still-here", c.run_terminal_command(2, "echo still-here"))
        # Data flagged compressed that is not zstd: an error, and that
        # terminal ends; the session and other terminals go on.
        c.send_terminal_raw(2, b"this is not zstd at all", True)
        err = c.wait_terminal_error(2, timeout=5)
        self.assertIn("compressed", err)
        self.assertIsNotNone(c.wait_terminal_closed(2, timeout=10))
        self.assertTrue(self.open(c, 3).success)
        self.assertIn("alive", c.run_terminal_command(3, "echo alive"))
        # A negative id is refused with an error, nothing is started.
        c.open_terminal(-5)
        self.assertIn("invalid", c.wait_terminal_error(-5, timeout=5))
        self.assertFalse(c.closed)

    def test_flood_bounded_rss(self):
        self.start()
        c, _ = self.connect()
        self.assertTrue(self.open(c, 1).success)
        c.run_terminal_command(1, "stty -echo")
        # The network process reads the pty and queues the output.
        pid = self.agent.status()["monitor"]["network_pid"]
        before = vm_kib(pid)
        t = c.terminal(1)
        marker = b"__flood_done__"
        c.send_terminal_data(
            1, "head -c 100M /dev/urandom | base64; echo __flood_done__\r")
        # The command line is not echoed (stty -echo), so the marker can
        # only come from the shell after the flood.
        t0 = time.monotonic()
        cpu0, mycpu0 = cpu_s(pid), cpu_s()
        total = 0
        peak = before
        samples = []
        paused = False
        done = False
        while not done and time.monotonic() - t0 < 300:
            if not paused and total > 30 * MB:
                # The client stops reading: the agent must stop reading
                # the pty, not queue the output.
                paused = True
                p0 = vm_kib(pid)
                time.sleep(3)
                p1 = vm_kib(pid)
                samples.append((p0, p1))
            try:
                c.recv_message(5)
            except TimeoutError:
                continue
            if c.closed:
                break
            n = len(t.output)
            if n > 4 * MB:
                total += n - 64
                tail = bytes(t.output[-64:])
                del t.output[:]
                t.output += tail
            if marker in bytes(t.output[-4096:]):
                done = True
            peak = max(peak, vm_kib(pid))
        total += len(t.output)
        secs = time.monotonic() - t0 - 3  # without the pause
        cpu, mycpu = cpu_s(pid) - cpu0, cpu_s() - mycpu0
        self.assertTrue(done, f"flood not finished after {secs:.0f}s, "
                        f"{total} bytes; {c.terminal_summary()}")
        self.assertGreater(total, 135 * 1000 * 1000)
        rate = total / MB / secs
        print(f"flood: {total / MB:.1f} MiB of output in {secs:.1f}s "
              "(plus a 3 s pause) "
              f"({rate:.1f} MiB/s); agent VmRSS before {before / 1024:.1f} "
              f"MiB, peak {peak / 1024:.1f} MiB, while the client did not "
              f"read {samples[0][0] / 1024:.1f} -> {samples[0][1] / 1024:.1f}"
              f" MiB; {t.data_msgs} data messages, {t.compressed_msgs} "
              f"compressed, {t.wire_bytes / MB:.1f} MiB on the wire; CPU: "
              f"agent {cpu:.1f}s, this client {mycpu:.1f}s")
        # Bounded: the flood costs the agent a few MiB (the send queue's
        # high-water mark and buffers), not the output's size.
        self.assertLess(peak - before, 48 * 1024)
        self.assertLess(samples[0][1] - samples[0][0], 8 * 1024)
        self.assertEqual(t.decode_errors, [])

    def test_shell_is_the_monitors(self):
        self.start()
        c, _ = self.connect()
        o = self.open(c, 1)
        self.assertTrue(o.success, o.message)
        net = self.agent.status()["monitor"]["network_pid"]
        with open(f"/proc/{o.pid}/stat") as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        self.assertEqual(ppid, self.agent.proc.pid)
        self.assertNotEqual(ppid, net)
        # A job of the shell, in its session, goes with it too.
        c.send_terminal_data(1, "sleep 300 & echo job=$!\r")
        out = c.run_terminal_command(1, "echo ready-$((6*7))")
        self.assertIn("ready-42", out)
        job = int(re.search(r"job=(\d+)", bytes(c.terminal(1).output)
                            .decode(errors="replace")).group(1))
        os.kill(net, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while (os.path.exists(f"/proc/{o.pid}") or
               os.path.exists(f"/proc/{job}")) and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(os.path.exists(f"/proc/{o.pid}"),
                         "the shell outlived its network process")
        self.assertFalse(os.path.exists(f"/proc/{job}"),
                         "the shell's job outlived its network process")
        self.agent.wait_status(
            lambda s: s["monitor"]["network_pid"] not in (None, net) and
            s.get("direct_access"), timeout=30)
        c2, _ = self.connect()
        o2 = self.open(c2, 1)
        self.assertTrue(o2.success, o2.message)
        self.assertIn("again-9",
                      c2.run_terminal_command(1, "echo again-$((3*3))"))

    def test_refusals(self):
        # Terminals not allowed: the login is refused with the stock
        # string, and a desktop session is not offered terminals.
        self.start(allow=False)
        c, pi = self.connect(kind="desktop")
        self.assertFalse(pi.features.terminal)
        self.assertEqual(pi.version, "1.3.0")
        c, pi = self.connect(expect_login=False)
        self.assertEqual(pi, "No permission of terminal")
        self.agent.stop()
        self.agent = None
        # Allowed, no account configured: each open is refused, saying so
        # (and the agent says it at start).
        self.start(user="")
        self.assertIn("policy.terminal.user is not set", self.agent.log_with("policy.terminal.user is not set", 5))
        c, pi = self.connect(kind="desktop")
        self.assertTrue(pi.features.terminal)
        c, pi = self.connect()
        o = self.open(c, 1)
        self.assertFalse(o.success)
        self.assertIn("policy.terminal.user", o.message)
        self.agent.stop()
        self.agent = None
        # root without allow_root: refused, never silently root.
        self.start(user="root")
        self.assertIn("allow_root is false", self.agent.log_with("allow_root is false", 5))
        c, _ = self.connect()
        o = self.open(c, 1)
        self.assertFalse(o.success)
        self.assertIn("root", o.message)
        ev = self.audit_events()
        self.assertTrue(any(e["type"] == "terminal.open" and
                            not e["fields"]["success"] and
                            e["fields"]["user"] == "root" for e in ev), ev)
        print(f"refusal for root: {o.message!r}")

    def test_before_login_is_fatal(self):
        # A TerminalAction before the login would act on the host
        # unauthenticated: the connection ends, no shell starts.
        self.start()
        c = client.Client(("127.0.0.1", self.agent.direct_port), direct=True,
                          kind="terminal", timeout=30)
        self.clients.append(c)
        c.handshake()
        c.wait_hash()
        c.open_terminal(1)
        c.send_terminal_data(1, "touch /tmp/should-not-exist\r")
        self.assertIsNotNone(c.wait_closed(10))
        self.assertEqual(c.terminal(1).opens, [])
        self.assertIn("before login", self.agent.log_with("before login", 5))

    def test_reload_withdraws(self):
        self.start()
        c, _ = self.connect()
        self.assertTrue(self.open(c, 1).success)
        self.assertIn("before", c.run_terminal_command(1, "echo before"))
        with open(self.agent.config) as f:
            text = f.read()
        with open(self.agent.config, "w") as f:
            f.write(text.replace("terminal: true", "terminal: false"))
        self.agent.proc.send_signal(signal.SIGHUP)
        err = c.wait_terminal_error(1, timeout=10)
        self.assertIn("no longer allowed", err)
        self.assertIsNotNone(c.wait_closed(10))
        self.assertEqual(c.close_reason, "No permission of terminal")
        deadline = time.monotonic() + 5
        closes = []
        while time.monotonic() < deadline and not closes:
            closes = [e["fields"] for e in self.audit_events()
                      if e["type"] == "terminal.close"]
            time.sleep(0.2)
        self.assertEqual(len(closes), 1)
        self.assertIsNone(closes[0]["exit_code"])
        self.assertIn("no longer allows", closes[0]["reason"])


if __name__ == "__main__":
    main()
