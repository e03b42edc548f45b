# SPDX-License-Identifier: MIT
"""Runs the real outpost binary as a daemon for integration tests: writes
its config, starts `outpost run`, reads its status over the control
socket, and stops it."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from common import OUTPOST, SOURCE_DIR, run

sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "peers"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Agent:
    """One outpost daemon with its own state dir under tmp."""

    def __init__(self, tmp, rendezvous=None, key=None, relay=None,
                 direct_port=None, extra="", display=None, prefix=()):
        """display: YAML lines of the display section; None = no screen
        (no virtual display either), for tests that are not about it.
        prefix: a command `run` is started under (e.g.
        common.unit_capabilities_prefix())."""
        self.tmp = tmp
        self.prefix = list(prefix)
        self.state = os.path.join(tmp, "state")
        self.direct_port = direct_port or free_port()
        lines = [f"state_dir: {self.state}",
                 "log:", "  level: debug", "  target: stderr",
                 "direct_access:", "  enabled: true",
                 f"  listen: 127.0.0.1:{self.direct_port}"]
        if display is None:
            display = "display:\n  virtual:\n    mode: never\n"
        lines += display.rstrip("\n").split("\n")
        if rendezvous:
            lines += ["server:", f"  rendezvous: {rendezvous}"]
            if key:
                lines.append(f"  key: {key}")
            if relay:
                lines.append(f"  relay: {relay}")
        self.config = os.path.join(tmp, "outpost.yaml")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n" + extra)
        os.chmod(self.config, 0o600)
        self.id = run(["-c", self.config, "id"]).stdout.strip()
        self.proc = None
        self.stderr_lines = []

    @classmethod
    def registered(cls, tmp, rs, password, **kw):
        """An agent of rendezvous server rs (a tests/peers one) with
        password set, started and registered."""
        a = cls(tmp, rendezvous=f"127.0.0.1:{rs.port}",
                key=rs.public_key_b64, **kw)
        a.set_password(password + "\n")
        a.start()
        if not rs.wait_registered(a.id, timeout=5):
            a.stop()
            raise AssertionError("the agent did not register:\n" +
                                 a.log()[-3000:])
        return a

    def start(self):
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)
        self.started = time.monotonic()
        self.stdout_lines = []
        self.proc = subprocess.Popen(
            self.prefix + [OUTPOST, "-c", self.config, "run"], env=env,
            text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        threading.Thread(target=self._drain, args=(self.proc.stderr,
                         self.stderr_lines), daemon=True).start()
        threading.Thread(target=self._drain, args=(self.proc.stdout,
                         self.stdout_lines), daemon=True).start()
        return self

    @staticmethod
    def _drain(f, lines):
        for line in f:
            lines.append(line)

    def otp(self, timeout=5):
        """The one-time password the agent printed on start."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.stdout_lines:
                if "one-time password:" in line:
                    return line.split(":", 1)[1].strip()
            time.sleep(0.05)
        raise AssertionError("no one-time password printed")

    def set_password(self, password):
        p = run(["-c", self.config, "password", "set"], stdin=password)
        if p.returncode != 0:
            raise AssertionError(p.stderr)

    def log(self):
        return "".join(self.stderr_lines)

    def log_with(self, text, timeout=3.0):
        """The log once it holds text. The agent's reply can reach a
        client before the reader thread has the line logged before it, so
        a positive log assertion must wait for its line."""
        deadline = time.monotonic() + timeout
        while text not in self.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.log()

    def status(self):
        p = run(["-c", self.config, "status", "--json"])
        if p.returncode != 0:
            return None
        return json.loads(p.stdout)

    def status_rtt(self, timeout=10):
        """(seconds, status dict) of one request on the control socket
        itself: the agent's loop latency, without the cost of starting
        `outpost status` (hundreds of ms under ASan on a loaded machine)."""
        t = time.monotonic()
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(timeout)
            s.connect(os.path.join(self.state, "control.sock"))
            s.sendall(b"status\n")
            buf = b""
            while True:
                d = s.recv(65536)
                if not d:
                    break
                buf += d
        return time.monotonic() - t, json.loads(buf)

    def wait_status(self, pred, timeout=10):
        deadline = time.monotonic() + timeout
        st = None
        while time.monotonic() < deadline:
            st = self.status()
            if st is not None and pred(st):
                return st
            time.sleep(0.05)
        raise AssertionError(f"status condition not met: {st}")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode if self.proc else None
