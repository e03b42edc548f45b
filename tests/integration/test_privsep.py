#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Issue 11, privilege separation (README "Security"): `outpost run` is a
monitor that holds the host's secrets and a network process that parses
what peers send.

  * the network process's memory holds neither the identity's secret key,
    nor the permanent password's h1, nor the one-time password, while the
    monitor's does (the same search finds them there), also after logins
    with both passwords;
  * killing the network process (SIGKILL, as a crash would) leaves the
    monitor running: it starts a new network process, which serves the
    next technician; the one-time password printed at start still works;
  * the virtual display is the monitor's (it chooses the user and the
    command), and goes with a network process that dies;
  * READY=1 and WATCHDOG=1 reach the service manager from the main PID
    (the unit's NotifyAccess=main), though the network process's loop is
    what sends them;
  * the network process runs as security.network_user (outpost) with no
    capability, no_new_privs and a seccomp filter, as the kernel reports
    it; made (through gdb) to try, the network process itself cannot
    open the state directory or a secret in it, nor execve a program,
    while the same calls in the monitor open them;
  * the audit trail is the monitor's: only it has audit.db open, the
    status still reports the trail, and a session that was open when the
    network process was killed gets its close record from the monitor.
"""
import base64
import pwd
import shutil
import subprocess
import json
import os
import re
import signal
import socket
import sqlite3
import struct
import time
import unittest

from agent import Agent
from common import TempDirCase, main, run

import client

PASSWORD = "privsep test password"
REGION_MAX = 512 << 20  # skip ASan's shadow and other huge reservations


def direct(agent):
    s = socket.create_connection(("127.0.0.1", agent.direct_port), 5)
    return client.Client(s, direct=True,
                         username=f"127.0.0.1:{agent.direct_port}")


def memory_has(pid, needles):
    """Which of needles (bytes) occur in the readable memory of pid."""
    found = set()
    with open(f"/proc/{pid}/maps") as maps, \
            open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            f = line.split()
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            if "r" not in f[1] or hi - lo > REGION_MAX or \
                    (len(f) > 5 and f[5] in ("[vvar]", "[vsyscall]")):
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except OSError:
                continue
            for n in needles:
                if n in data:
                    found.add(n)
    return found


class Privsep(TempDirCase):
    def setUp(self):
        super().setUp()
        self.agent = Agent(self.tmp)
        self.agent.set_password(PASSWORD + "\n")
        self.agent.start()
        self.st = self.agent.wait_status(lambda s: s.get("direct_access"))

    def tearDown(self):
        code = self.agent.stop()
        super().tearDown()
        self.assertEqual(code, 0, self.agent.log()[-3000:])

    def login(self, password):
        c = direct(self.agent)
        r = c.login(password)
        c.close()
        self.assertNotIsInstance(r, str, self.agent.log()[-2000:])

    def secrets(self):
        """The raw and the encoded forms of each secret."""
        with open(os.path.join(self.agent.state, "identity.key")) as f:
            sk_b64 = f.read().strip()
        with open(os.path.join(self.agent.state, "password.h1")) as f:
            h1_b64 = f.read().strip()
        sk = base64.b64decode(sk_b64)
        h1 = base64.b64decode(h1_b64)
        self.assertEqual((len(sk), len(h1)), (64, 32))
        return {"identity seed": sk[:32], "identity key text":
                sk_b64.encode(), "h1": h1, "h1 text": h1_b64.encode()}

    def test_status_names_both_processes(self):
        self.assertEqual(self.st["pid"], self.agent.proc.pid)
        net = self.st["monitor"]["network_pid"]
        self.assertNotEqual(net, self.agent.proc.pid)
        with open(f"/proc/{net}/stat") as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        self.assertEqual(ppid, self.agent.proc.pid)
        self.assertEqual(self.st["monitor"]["network_starts"], 1)

    def test_network_process_holds_no_secret(self):
        otp = self.agent.otp()
        # (a session's end replaces the one-time password: it goes first)
        self.login(otp)
        self.login(PASSWORD)
        net = self.agent.status()["monitor"]["network_pid"]
        needles = self.secrets()
        needles["one-time password"] = otp.encode()
        try:
            in_net = memory_has(net, needles.values())
            in_mon = memory_has(self.agent.proc.pid, needles.values())
        except PermissionError as e:
            self.skipTest(f"cannot read process memory here: {e}")
        leaked = [k for k, v in needles.items() if v in in_net]
        self.assertEqual(leaked, [], "in the network process")
        # The search works: the monitor holds the key and h1 it uses.
        self.assertIn(needles["identity seed"], in_mon)
        self.assertIn(needles["h1"], in_mon)

    def test_killed_network_process_is_restarted(self):
        otp = self.agent.otp()
        first = self.st["monitor"]["network_pid"]
        os.kill(first, signal.SIGKILL)
        st = self.agent.wait_status(
            lambda s: s["monitor"]["network_pid"] != first, timeout=20)
        self.assertIsNotNone(st, self.agent.log()[-2000:])
        self.assertEqual(st["pid"], self.agent.proc.pid)
        self.assertEqual(st["monitor"]["network_starts"], 2)
        self.assertIsNone(self.agent.proc.poll())
        self.assertRegex(self.agent.log(), re.compile(
            r"network process \(pid %d\) was killed by signal 9" % first))
        self.agent.wait_status(lambda s: s.get("direct_access"))
        # The secrets survived with the monitor: both passwords work.
        self.login(otp)
        self.login(PASSWORD)
        # The trail records the crash.
        ex = run(["-c", self.agent.config, "audit", "export", "--format",
                  "jsonl"])
        rows = [json.loads(ln) for ln in ex.stdout.splitlines() if ln.strip()]
        rs = [r for r in rows if r["type"] == "agent.restarted"]
        self.assertEqual(len(rs), 1, [r["type"] for r in rows])
        self.assertEqual(rs[0]["fields"],
                         {"network_starts": 2, "previous": "killed by signal 9"})

    def export(self):
        ex = run(["-c", self.agent.config, "audit", "export", "--format",
                  "jsonl"])
        return [json.loads(ln) for ln in ex.stdout.splitlines()
                if ln.strip()]

    def test_audit_db_is_the_monitors(self):
        net = self.st["monitor"]["network_pid"]

        def has_db(pid):
            fds = f"/proc/{pid}/fd"
            names = []
            for fd in os.listdir(fds):
                try:
                    names.append(os.readlink(os.path.join(fds, fd)))
                except OSError:
                    pass
            return [n for n in names if os.path.basename(n).startswith(
                "audit.db")]

        self.assertNotEqual(has_db(self.agent.proc.pid), [])
        self.assertEqual(has_db(net), [])
        # The status still reports the trail (asked of the monitor).
        self.assertIn("pending", self.st["audit"])
        self.assertEqual(self.st["audit"]["lost"], 0)
        # A session open (logged in) when the network process dies.
        c = direct(self.agent)
        self.addCleanup(c.close)
        self.assertNotIsInstance(c.login(PASSWORD), str, c.summary())
        deadline = time.monotonic() + 10
        sid = None
        while sid is None and time.monotonic() < deadline:
            auth = [r for r in self.export()
                    if r["type"] == "session.authorized"]
            sid = auth[-1]["session"] if auth else None
            time.sleep(0.1)
        self.assertIsNotNone(sid, self.agent.log()[-2000:])
        closes = [r for r in self.export() if r["type"] == "session.close"
                  and r["session"] == sid]
        self.assertEqual(closes, [], "closed before the kill")
        os.kill(net, signal.SIGKILL)
        st = self.agent.wait_status(
            lambda s: s["monitor"]["network_starts"] == 2, timeout=20)
        self.assertIsNotNone(st, self.agent.log()[-2000:])
        closes = [r for r in self.export() if r["type"] == "session.close"
                  and r["session"] == sid]
        self.assertEqual(len(closes), 1, closes)
        self.assertEqual(closes[0]["fields"]["reason"],
                         "network process ended: killed by signal 9")
        # The new network process has no audit.db either.
        self.assertEqual(has_db(st["monitor"]["network_pid"]), [])
        self.assertNotEqual(has_db(self.agent.proc.pid), [])

    def test_write_ahead_fails_closed(self):
        """The authorization's commit comes back from the monitor as an
        event; one that fails (the database locked past the busy timeout)
        refuses the session: nothing flows."""
        db = sqlite3.connect(os.path.join(self.agent.state, "audit.db"),
                             timeout=10, isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        try:
            c = direct(self.agent)
            self.addCleanup(c.close)
            try:
                r = c.login(PASSWORD, timeout=30)
            except client.SessionClosed:
                r = "closed"
        finally:
            db.execute("ROLLBACK")
            db.close()
        self.assertIsInstance(r, str, "logged in without a record")
        text = "could not be recorded; refusing the session"
        self.assertIn(text, self.agent.log_with(text, timeout=5))
        # Nothing is wrong with the monitor or the network process.
        st = self.agent.status()
        self.assertEqual(st["monitor"]["network_starts"], 1)
        self.login(PASSWORD)

    def test_restart_backs_off(self):
        """A network process that keeps dying is started again at most
        once a second at first, then less often."""
        starts = []
        deadline = time.monotonic() + 20
        while len(starts) < 3 and time.monotonic() < deadline:
            st = self.agent.status()
            if st is None:
                time.sleep(0.05)
                continue
            pid = st["monitor"]["network_pid"]
            if not starts or starts[-1][0] != pid:
                starts.append((pid, time.monotonic()))
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
        self.assertEqual(len(starts), 3, self.agent.log()[-2000:])
        gaps = [b[1] - a[1] for a, b in zip(starts, starts[1:])]
        self.assertGreaterEqual(gaps[0], 0.9)
        self.assertGreaterEqual(gaps[1], 1.9, gaps)


class VirtualDisplay(TempDirCase):
    def test_the_display_is_the_monitors(self):
        """The monitor starts the virtual display (its user and command
        from its own config), so the X server is the monitor's child; a
        network process that dies takes it down, and the next session
        gets a new one."""
        if not shutil.which("Xvfb"):
            self.skipTest("Xvfb not installed")
        disp = ("display:\n  virtual:\n    mode: auto\n    size: 800x600\n"
                "    command: \"exec sleep 600\"\n")
        agent = Agent(self.tmp, display=disp)
        agent.set_password(PASSWORD + "\n")
        agent.start()
        self.addCleanup(agent.stop)
        agent.wait_status(lambda s: "display" in s)
        c = direct(agent)
        self.assertNotIsInstance(c.login(PASSWORD), str, c.summary())
        st = agent.wait_status(lambda s: s["display"]["virtual"], timeout=20)
        xpid = st["display"]["virtual"]["pid"]
        with open(f"/proc/{xpid}/stat") as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        self.assertEqual(ppid, agent.proc.pid)
        c.close()
        os.kill(st["monitor"]["network_pid"], signal.SIGKILL)
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{xpid}") and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(os.path.exists(f"/proc/{xpid}"),
                         "the X server outlived its network process")
        agent.wait_status(lambda s: s["monitor"]["network_starts"] == 2,
                          timeout=20)
        agent.wait_status(lambda s: s.get("direct_access"))
        c = direct(agent)
        self.assertNotIsInstance(c.login(PASSWORD), str, c.summary())
        st = agent.wait_status(lambda s: s["display"]["virtual"], timeout=20)
        self.assertNotEqual(st["display"]["virtual"]["pid"], xpid)
        c.close()


class Notify(TempDirCase):
    def test_ready_and_watchdog_from_the_main_pid(self):
        path = os.path.join(self.tmp, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        sock.settimeout(20)
        self.addCleanup(sock.close)
        for k, v in (("NOTIFY_SOCKET", path), ("WATCHDOG_USEC", "1000000")):
            os.environ[k] = v
            self.addCleanup(os.environ.pop, k, None)
        # As systemd sets it: WATCHDOG_PID is the main PID ($$ survives
        # the exec).
        agent = Agent(self.tmp, prefix=[
            "sh", "-c", 'WATCHDOG_PID=$$ exec "$0" "$@"'])
        agent.start()
        self.addCleanup(agent.stop)
        got = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (
                ("READY=1" in [g[0] for g in got]) and
                [g for g in got if g[0] == "WATCHDOG=1"][1:]):
            msg, anc, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(12))
            pid = None
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and \
                        kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("iII", data[:12])[0]
            got.append((msg.decode(), pid))
        texts = [g[0] for g in got]
        self.assertIn("READY=1", texts, agent.log()[-2000:])
        self.assertGreaterEqual(texts.count("WATCHDOG=1"), 2, got)
        # Every message comes from the main PID, the monitor.
        self.assertEqual({g[1] for g in got}, {agent.proc.pid}, got)


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f
                    if ":\t" in line)


# The network process's monitor socket (OUTPOST_MONITOR_FD) and two of
# its requests, as a network process that was taken over would send them.
MONITOR_FD = 3
CONNECT_USER = ("((int (*)(int, const char *, unsigned int, int, int *, "
                "int *))monclient_connect_user)")
VD_START = "((int (*)(int, char *, unsigned long))monclient_vd_start)"
OP_ERR_DENIED = -20004

# libc's functions, typed for gdb (no debug information needed).
OPEN = "((int (*)(const char *, int))open)"
EXECVE = "((int (*)(const char *, char **, char **))execve)"
CLOSE = "((int (*)(int))close)"


MALLOC = "((void *(*)(unsigned long))malloc)"
FREE = "((void (*)(void *))free)"


def call_in(pid, expr, path=""):
    """Evaluates a C expression inside process pid (gdb attaches, calls,
    detaches): the result as an int, and errno after it. $p in expr is
    path, copied into the process's own heap and freed again (a string
    literal would make gdb malloc a copy it never frees: a leak
    LeakSanitizer reports at exit); $q is 256 bytes of scratch there."""
    n = len(path.encode()) + 1
    p = subprocess.run(
        ["gdb", "-nx", "-batch", "-p", str(pid),
         "-ex", "set confirm off",
         "-ex", f"set $p = (char *){MALLOC}({n})",
         "-ex", f"set {{char[{n}]}} $p = {json.dumps(path)}",
         "-ex", f"set $q = (char *){MALLOC}(256)",
         "-ex", f"print (long)({expr})",
         "-ex", "print *((int *(*)(void))__errno_location)()",
         "-ex", f"call {FREE}($p)",
         "-ex", f"call {FREE}($q)"],
        capture_output=True, text=True, timeout=60)
    vals = re.findall(r"^\$\d+ = (-?\d+)$", p.stdout, re.M)
    if len(vals) != 2:
        raise AssertionError(f"gdb: {p.stdout[-1500:]}{p.stderr[-1500:]}")
    return int(vals[0]), int(vals[1])


@unittest.skipUnless(os.geteuid() == 0 and shutil.which("gdb"),
                     "needs root (the agent drops to its account) and gdb")
class Sandbox(TempDirCase):
    def setUp(self):
        super().setUp()
        self.agent = Agent(self.tmp)
        self.agent.start()
        self.st = self.agent.wait_status(lambda s: s.get("direct_access"))
        self.net = self.st["monitor"]["network_pid"]

    def tearDown(self):
        code = self.agent.stop()
        super().tearDown()
        self.assertEqual(code, 0, self.agent.log()[-3000:])

    def test_account_capabilities_and_filter(self):
        acct = pwd.getpwnam("outpost")
        st = proc_status(self.net)
        self.assertEqual(st["Uid"].split(), [str(acct.pw_uid)] * 4)
        self.assertEqual(st["Gid"].split(), [str(acct.pw_gid)] * 4)
        self.assertEqual(st["Groups"].split(), [])
        for cap in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
            self.assertEqual(int(st[cap], 16), 0, cap)
        self.assertEqual(st["NoNewPrivs"], "1")
        self.assertEqual(st["Seccomp"], "2")  # filter mode
        self.assertEqual(self.st["monitor"]["network_uid"], acct.pw_uid)
        self.assertIs(self.st["monitor"]["seccomp"], True)
        # The monitor stays root: it holds the secrets.
        self.assertEqual(proc_status(self.agent.proc.pid)["Uid"].split()[0],
                         "0")
        # Its private directory is its own (and group root's, for the
        # monitor's cookie copies); the state directory is not.
        net_dir = os.path.join(self.agent.state, "net")
        st = os.stat(net_dir)
        self.assertEqual((st.st_uid, st.st_gid, st.st_mode & 0o7777),
                         (acct.pw_uid, 0, 0o770))
        self.assertEqual(os.stat(self.agent.state).st_mode & 0o777, 0o700)

    def test_network_process_cannot_open_state_or_exec(self):
        state = self.agent.state
        key = os.path.join(state, "identity.key")
        o_dir = os.O_RDONLY | os.O_DIRECTORY
        for path, flags in ((state, o_dir), (key, os.O_RDONLY)):
            r, err = call_in(self.net, f"{OPEN}($p, {flags})", path)
            self.assertEqual((r, err), (-1, 13), f"open {path}")  # EACCES
        r, err = call_in(self.net, f"{EXECVE}($p, 0, 0)", "/bin/true")
        self.assertEqual((r, err), (-1, 1), "execve")  # EPERM (seccomp)
        # The same open in the monitor succeeds (and is closed again).
        fd, _ = call_in(self.agent.proc.pid, f"{OPEN}($p, 0)", key)
        self.assertGreaterEqual(fd, 0)
        self.assertEqual(call_in(self.agent.proc.pid, f"{CLOSE}({fd})")[0],
                         0)
        # Both still serve: the network process was only refused.
        self.assertEqual(self.agent.status()["monitor"]["network_pid"],
                         self.net)
        c = direct(self.agent)
        self.assertNotIsInstance(c.login(self.agent.otp()), str,
                                 self.agent.log()[-2000:])
        c.close()

    def test_desktop_only_for_a_granted_session(self):
        """The requests a network process taken over before login would
        make for the user's desktop, made inside it: refused until a
        technician has logged in, answered (past the gate) while that
        session lasts, refused again after it."""
        ask = f"{CONNECT_USER}({MONITOR_FD}, $p, 0, 0, (int *)$q, 0)"
        sock = "/run/user/0/wayland-0"
        r, _ = call_in(self.net, ask, sock)
        self.assertEqual(r, OP_ERR_DENIED)
        r, _ = call_in(self.net, f"{VD_START}({MONITOR_FD}, $q, 256)")
        self.assertEqual(r, OP_ERR_DENIED)
        self.assertIn("connect-user refused: no session",
                      self.agent.log_with("connect-user refused"))
        c = direct(self.agent)
        self.assertNotIsInstance(c.login(self.agent.otp()), str,
                                 self.agent.log()[-2000:])
        self.agent.wait_status(lambda s: s["sessions"] == 1)
        r, _ = call_in(self.net, ask, sock)
        self.assertNotEqual(r, OP_ERR_DENIED)  # the socket rules answer
        self.assertLess(r, 0)
        c.close()
        self.agent.wait_status(lambda s: s["sessions"] == 0)
        r, _ = call_in(self.net, ask, sock)
        self.assertEqual(r, OP_ERR_DENIED)


if __name__ == "__main__":
    main()
