#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Issue 11, the login and pre-login holes, each reproduced as an attack
against the real agent over loopback (direct IP unless said otherwise):

  1. a login that drops between the password check and the audit commit
     kept a login slot for good (max_sessions drops locked everyone out)
     and left the one-time password valid;
  2. max_sessions: 1 let four concurrent logins in;
  3. pre-login connections held slots indefinitely (the 18 s limit
     stopped at PublicKey, any byte reset the idle timer) and one source
     could take all 64;
  6. a client streaming ignored pre-login messages kept the loop busy;
  7. LoginRequest.my_id with a newline or ESC forged log lines;
 12. one 8 MiB MultiClipboards of empty entries took ~600 MB.
Loopback has the whole 127/8, so sources are told apart by binding
clients to 127.0.0.x."""
import os
import socket
import struct
import time

from agent import Agent
from common import TempDirCase, main, proc_status_kib

import client

PASSWORD = "security test password"


def direct(agent, source="127.0.0.1", **kw):
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", agent.direct_port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return client.Client(s, direct=True,
                         username=f"127.0.0.1:{agent.direct_port}", **kw)


def reset(c):
    """Closes with an RST, as a vanished client does."""
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                      struct.pack("ii", 1, 0))
    c.close()


def rss_kb(pid):
    return proc_status_kib(pid, "VmRSS")


class SecCase(TempDirCase):
    extra = ""

    def setUp(self):
        super().setUp()
        self.agent = Agent(self.tmp, extra=self.extra)
        self.agent.set_password(PASSWORD + "\n")
        self.agent.start()
        self.agent.wait_status(lambda s: s.get("direct_access"))

    def tearDown(self):
        code = self.agent.stop()
        super().tearDown()
        self.assertEqual(code, 0, self.agent.log()[-3000:])

    def logins(self):
        return self.agent.status()["logins"]

    def wait_logins(self, pred, timeout=10):
        return self.agent.wait_status(lambda s: pred(s["logins"]), timeout)

    def good_login(self, source="127.0.0.1"):
        c = direct(self.agent, source)
        r = c.login(PASSWORD)
        c.close()
        return r


class Slots(SecCase):
    extra = "policy:\n  limits:\n    max_sessions: 2\n"

    def test_dropped_logins_leak_no_slot(self):
        """Item 1: the LoginRequest and the RST arrive together, so the
        session is gone before its authorization is committed."""
        for i in range(6):
            c = direct(self.agent)
            c.wait_hash()
            c.send_login_request(c.proof(PASSWORD))
            reset(c) if i % 2 else c.close()
        self.wait_logins(lambda x: x["slots"] == 0 and x["in_progress"] == 0)
        r = self.good_login()
        self.assertNotIsInstance(r, str, self.agent.log()[-2000:])
        self.wait_logins(lambda x: x["slots"] == 0)

    def test_otp_is_spent_when_accepted(self):
        """Item 1: a one-time password whose login dropped is not valid
        again."""
        otp = self.agent.otp()
        c = direct(self.agent)
        c.wait_hash()
        c.send_login_request(c.proof(otp))
        reset(c)
        self.assertLogged("one-time password used")
        c = direct(self.agent)
        self.assertEqual(c.login(otp), "Wrong Password")
        c.close()


class Race(SecCase):
    extra = "policy:\n  limits:\n    max_sessions: 1\n"

    def test_concurrent_logins_respect_max_sessions(self):
        """Item 2: four logins whose requests arrive together."""
        clients = [direct(self.agent, f"127.0.0.{10 + i}") for i in range(4)]
        for c in clients:
            c.wait_hash()
        proofs = [c.proof(PASSWORD) for c in clients]
        for c, p in zip(clients, proofs):
            c.send_login_request(p)
        results = []
        for c in clients:
            r = c.wait_login_response(15)
            results.append("ok" if not isinstance(r, str) else r)
        self.assertEqual(results.count("ok"), 1, results)
        self.assertEqual(results.count("Connection not allowed"), 3, results)
        self.assertEqual(self.logins()["slots"], 1)
        for c in clients:
            c.close()
        self.wait_logins(lambda x: x["slots"] == 0)


class PreLogin(SecCase):
    extra = "security:\n  login_timeout: 6s\n"

    def test_login_deadline_is_absolute(self):
        """Item 3: Hash received (direct IP has no key exchange), then an
        empty frame every second and TestDelay echoes: still closed at
        the login deadline."""
        c = direct(self.agent)
        c.wait_hash()
        t0 = time.monotonic()
        while not c.closed and time.monotonic() - t0 < 15:
            try:
                c.send_raw(b"\x00")   # an empty frame
            except client.SessionClosed:
                break
            c.pump(1.0)
        took = time.monotonic() - t0
        self.assertTrue(c.closed, "still open after 15 s")
        self.assertLess(took, 9.0)
        self.assertLogged("no login within 6 s")

    def test_per_source_cap_leaves_room_for_others(self):
        """Item 3: one source holds at most 8 logins in progress; the
        ninth is closed at once, another source still logs in."""
        holders = [direct(self.agent, "127.0.0.2") for _ in range(8)]
        for h in holders:
            h.wait_hash()
        ninth = direct(self.agent, "127.0.0.2")
        self.assertIsNotNone(ninth.wait_closed(5), "the ninth stayed open")
        self.assertNotIsInstance(self.good_login("127.0.0.3"), str)
        st = self.logins()
        self.assertGreaterEqual(st["refused_busy"], 1)
        self.assertEqual(st["in_progress"], 8)
        for h in holders:
            h.close()
        self.wait_logins(lambda x: x["in_progress"] == 0)

    def test_ignored_frames_before_login_are_bounded(self):
        """Item 6: a stream of messages the host ignores before login ends
        the connection after 512 of them."""
        c = direct(self.agent)
        c.wait_hash()
        m = client.Message()
        m.misc.refresh_video = True
        frame = m.SerializeToString()
        sent = 0
        try:
            for _ in range(2000):
                c.send_payload(frame)
                sent += 1
        except (client.SessionClosed, client.ClientError):
            pass
        self.assertIsNotNone(c.wait_closed(5), "still open")
        self.assertLogged("frames or 256 KiB before login")
        self.assertNotIsInstance(self.good_login(), str)

    def test_forged_log_lines_are_escaped(self):
        """Item 7: the peer ID goes into log lines escaped."""
        forged = "x\noutpost: notice: FORGED\x1b[31m"
        c = direct(self.agent)
        c.login("wrong", my_id=forged)
        c.close()
        log = self.agent.log_with("wrong password", timeout=5)
        self.assertNotIn("\noutpost: notice: FORGED", log)
        self.assertNotIn("\x1b", log)
        self.assertIn("x\\x0aoutpost: notice: FORGED\\x1b", log)


class Memory(SecCase):
    extra = ""

    def test_empty_clipboard_flood_is_refused_cheaply(self):
        """Item 12: ~4 Mi empty MultiClipboards entries in one frame of
        just under 8 MiB (the session limit) after login: refused by the
        decoder's count cap, the session closes, memory stays flat."""
        c = direct(self.agent, keep_video=False)
        self.assertNotIsInstance(c.login(PASSWORD), str)
        c.pump(0.5)
        before = rss_kb(self.agent.proc.pid)
        count = (8 << 20) // 2 - 16
        inner = b"\x0a\x00" * count
        n = len(inner)
        varint = b""
        while True:
            b = n & 0x7F
            n >>= 7
            varint += bytes([b | (0x80 if n else 0)])
            if not n:
                break
        c.send_payload(b"\xe2\x01" + varint + inner)
        self.assertIsNotNone(c.wait_closed(20), "the session stayed open")
        after = rss_kb(self.agent.proc.pid)
        print(f"RSS before {before / 1024:.0f} MiB, after {after / 1024:.0f} MiB")
        self.assertLess(after - before, 64 * 1024,
                        f"RSS grew by {(after - before) / 1024:.0f} MiB")
        self.assertLogged("protocol error: a message of")
        self.assertNotIsInstance(self.good_login(), str)


class NotDumpable(TempDirCase):
    """S1, the immediate part: the daemon is not dumpable, so a process of
    its own user can neither ptrace it nor read its memory or environment
    (and no core file carries its keys)."""

    def test_same_user_cannot_read_the_daemon(self):
        import pwd
        import subprocess
        nobody = pwd.getpwnam("nobody")
        os.chmod(self.tmp, 0o755)
        agent = Agent(self.tmp)
        state = os.path.join(self.tmp, "state")
        os.makedirs(state, mode=0o700, exist_ok=True)
        for root, dirs, files in os.walk(self.tmp):
            for n in dirs + files:
                os.chown(os.path.join(root, n), nobody.pw_uid, nobody.pw_gid)
        os.chown(self.tmp, nobody.pw_uid, nobody.pw_gid)
        as_nobody = ["setpriv", f"--reuid={nobody.pw_uid}",
                     f"--regid={nobody.pw_gid}", "--clear-groups"]
        p = subprocess.Popen(as_nobody + [os.environ["OUTPOST"], "-c",
                                          agent.config, "run"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(p.wait, 10)
        self.addCleanup(p.terminate)
        deadline = time.monotonic() + 10
        while not os.path.exists(os.path.join(state, "control.sock")):
            self.assertLess(time.monotonic(), deadline, "the agent did not start")
            self.assertIsNone(p.poll(), p.stderr.read() if p.poll() else "")
            time.sleep(0.1)
        r = subprocess.run(as_nobody + ["cat", f"/proc/{p.pid}/environ"],
                           capture_output=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"Permission denied", r.stderr)


if __name__ == "__main__":
    main()
