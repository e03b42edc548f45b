#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""outpost.exe run under wine (issue 16): the daemon itself, its monitor
and network process, against the independent technician peer
(tests/peers) over loopback, on this Xvfb screen.

Usage (on an Xvfb screen, as with-xvfb.py runs it):
    wine-daemon.py WINE outpost.exe

Checks: the banner prints the ID and a one-time password; `outpost
status` reaches the running daemon over its named pipe; hostile clients
lose only their connection; a wrong password gets "Wrong Password"; the
default policy asks the user at the console: the consent window comes
up on this screen, Deny refuses the one-time password's session, the
same source is then refused without a window, and from another source
Allow lets the permanent password's session (set with `outpost password
set`) in (PeerInfo says Windows, the VP9 stream of wine's desktop
matches xwd's picture at >= 35 dB); after `outpost reload` with when_user_present:
allow, the used one-time password is refused, a terminal session runs
cmd.exe (started by the monitor on ConPTY), a file-transfer session
lists, downloads and uploads in its root and is refused paths out of
it, and the password alone logs in; `outpost audit` lists the sessions (the user's denial too),
shows one, verifies the chain and exports it; the network process ends when its monitor is killed (the
port closes). Then as a service (what the MSI installs), asking again:
after net start, status finds it running, the consent window started
from the service comes up on this screen and Allow lets a session in
whose video is the
screen (the network process is started on winsta0\\default: the
service's own window station is never shown, under wine as on
Windows), net stop closes that session and ends both processes.
"""
import getpass
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "peers"),
                os.path.join(HERE, "..", "integration")]

import client  # noqa: E402
import video_util  # noqa: E402
import winerun  # noqa: E402
from wine_session_util import (Lines, check, consent_click,  # noqa: E402
                               consent_gone, file_transfer_checks, hostile,
                               winpath)

PASSWORD = "wine-Daemon-Passw0rd"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    def __init__(self, wine, exe, tmp):
        self.wine, self.exe, self.tmp = wine, exe, tmp
        self.port = free_port()
        self.conf = os.path.join(tmp, "outpost.yaml")
        with open(self.conf, "w") as f:
            f.write(f"state_dir: '{winpath(os.path.join(tmp, 'state'))}'\n"
                    "log:\n  level: debug\n  target: stderr\n"
                    "direct_access:\n  enabled: true\n"
                    f"  listen: 127.0.0.1:{self.port}\n")
        self.proc = None

    def cli(self, *args, stdin=b""):
        p = winerun.run([self.wine, self.exe, "-c", winpath(self.conf)] +
                        list(args), input=stdin, timeout=120)
        return p.returncode, p.stdout.decode(errors="replace"), \
            p.stderr.decode(errors="replace")

    def start(self):
        self.proc = subprocess.Popen(
            [self.wine, self.exe, "-c", winpath(self.conf), "run"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        self.out = Lines(self.proc.stdout)
        self.err = Lines(self.proc.stderr)

    def log(self):
        return self.err.tail(60)


def audit_trail(d):
    """The trail the daemon wrote, through outpost.exe audit: the session
    the user allowed and the one they denied, its events, the hash
    chain (verify, and each exported row linked to the one before)."""
    rc, out, err = d.cli("audit", "list", "--json")
    try:
        sessions = json.loads(out)
    except ValueError:
        sessions = []
    allowed = [s for s in sessions if s.get("consent") == "allowed" and
               s.get("auth_method") == "permanent-password"]
    denied = [s for s in sessions if s.get("outcome") == "denied" and
              s.get("denied_reason") == "consent-denied"]
    check(rc == 0 and allowed and denied, f"audit list --json: a session "
          f"the user allowed and one they denied: {out[-1500:]!r}", d.log)
    rc, out, err = d.cli("audit", "show", str(allowed[0]["id"]), "--json")
    try:
        types = [e["type"] for e in json.loads(out)["events"]]
    except (ValueError, KeyError):
        types = []
    check(rc == 0 and {"session.open", "session.authorized",
                       "session.close"} <= set(types),
          f"audit show: its events {types}", d.log)
    rc, out, err = d.cli("audit", "verify")
    check(rc == 0, f"audit verify: {rc} {out.strip()[-300:]!r}", d.log)
    rc, out, err = d.cli("audit", "export", "--format", "jsonl")
    try:
        rows = [json.loads(x) for x in out.splitlines() if x.strip()]
    except ValueError:
        rows = []
    linked = len(rows) >= len(types) and all(
        len(r["hash"]) == 64 and r["prev_hash"] == (
            rows[i - 1]["hash"] if i else "0" * 64)
        for i, r in enumerate(rows))
    check(rc == 0 and linked, f"audit export: {len(rows)} rows, each "
          f"linked to the one before", d.log)


def terminal(d):
    """A terminal session through the daemon: the monitor starts cmd.exe
    on ConPTY for the network process, which relays it."""
    c, r = login(d, PASSWORD, kind="terminal")
    check(c is not None, f"terminal session logs in: {r!r}", d.log)
    try:
        c.open_terminal(1)
        o = c.wait_terminal_opened(1)
        check(o.success, f"terminal opened by the monitor: {o}", d.log)
        c.send_terminal_data(1, "set M=42\r")
        c.send_terminal_data(1, "echo hi-%M%\r")
        c.wait_terminal_output(1, "hi-42", 30)
        c.send_terminal_data(1, "exit 3\r")
        t = c.wait_terminal_closed(1, 30)
        check(t == 3, f"cmd.exe printed hi-42; its 'exit 3' came back as "
              f"{t}", d.log)
    finally:
        c.close()


def text_of(path):
    with open(path) as f:
        return f.read()


def port_closed(port, timeout):
    """Seconds until nothing listens on port, or None."""
    t0 = time.monotonic()
    while port_open(port):
        if time.monotonic() - t0 > timeout:
            return None
        time.sleep(0.2)
    return round(time.monotonic() - t0, 1)


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def login(d, password, source="127.0.0.1", option=None, kind="desktop"):
    sock = socket.socket()
    try:
        sock.bind((source, 0))
        sock.settimeout(5)
        sock.connect(("127.0.0.1", d.port))
    except OSError:
        sock.close()
        raise
    c = client.Client(sock, direct=True, timeout=30, kind=kind)
    try:
        c.handshake()
        r = c.login(password, option=option)
    except Exception:
        c.close()
        raise
    if isinstance(r, str) or r is None:
        c.close()
        return None, r
    return c, r


def login_asked(d, password, button, source="127.0.0.1"):
    """Logs in while a thread answers the consent window with button.
    Returns (client or None, response, seconds the window took to come
    up or None)."""
    seen = {}
    t = threading.Thread(target=lambda: seen.update(
        s=consent_click(button, timeout=60)), daemon=True)
    t.start()
    c, r = login(d, password, source)
    t.join(70)
    check(consent_gone(), "the consent window closed", d.log)
    return c, r, seen.get("s")


def video(d, c, r, display):
    pi = c.peer_info_summary(r)
    check(pi["platform"] == "Windows", f"PeerInfo.platform {pi['platform']!r}",
          d.log)
    w, h = c.display_size(0)
    c.wait_video(count=8, timeout=90)
    c.pump(2.0)  # the picture is still: the last frames are refined
    with tempfile.TemporaryDirectory() as tmp:
        ivf = os.path.join(tmp, "s.ivf")
        c.write_ivf(ivf, display=0)
        got = video_util.decode_ivf(ivf, w, h, last_only=True)[0]
    truth, tw, th = video_util.xwd_image(display)
    check((tw, th) == (w, h), f"display size {w}x{h} = X screen {tw}x{th}",
          d.log)
    db = video_util.psnr(got, truth, w, h)
    check(db >= 35.0, f"video of wine's desktop vs xwd: {db:.2f} dB "
          f"({c.video_stats(0)})", d.log)


def as_service(d):
    """The MSI's way: the SCM starts `outpost.exe run` and stops it."""
    name = "OutpostWineTest%d" % os.getpid()
    cmd = f"{winpath(d.exe)} -c {winpath(d.conf)} run"
    # A port of its own: wine binds as Linux does, so the first run's
    # port is refused while its closed connections sit in TIME_WAIT
    # (Windows itself would allow it).
    old_port, d.port = d.port, free_port()
    with open(d.conf) as f:
        text = f.read()
    with open(d.conf, "w") as f:
        f.write(text.replace(f"127.0.0.1:{old_port}", f"127.0.0.1:{d.port}"))

    def sc(*args):
        p = winerun.run([d.wine] + list(args), timeout=120)
        return p.returncode, (p.stdout + p.stderr).decode(errors="replace")

    rc, out = sc("sc", "create", name, "binpath=", cmd)
    check(rc == 0, f"sc create {name}: {rc} {out.strip()!r}", d.log)
    try:
        rc, out = sc("net", "start", name)
        check(rc == 0, f"net start: {rc} {out.strip()!r}", d.log)
        # wine's net start does not wait for RUNNING: the daemon may still
        # be starting.
        end = time.monotonic() + 60
        while True:
            rc, out, err = d.cli("status")
            if rc == 0 or time.monotonic() > end:
                break
            time.sleep(1)
        check(rc == 0 and "running" in out,
              f"status of the service: {rc} {out[:80]!r} {err[-300:]!r}",
              d.log)
        # The prompt: started by the monitor (session 0 on Windows) in
        # the console session, as its user (WTSQueryUserToken).
        c, r, seen = login_asked(d, PASSWORD, "allow")
        check(c is not None and seen is not None,
              f"the service's consent window came up in {seen} s and Allow "
              f"let the session in: {r!r}", d.log)
        try:
            # The service's own window station is never shown (wine, as
            # Windows); its network process runs on winsta0\default, so
            # the stream is the screen.
            video(d, c, r, os.environ["DISPLAY"])
            rc, out = sc("net", "stop", name)
            check(rc == 0, f"net stop: {rc} {out.strip()!r}", d.log)
            after = c.wait_closed(20)
            check(after is not None, f"the stop closed the session after "
                  f"{after} s ({c.close_reason!r})", d.log)
        finally:
            c.close()
        # wine's server closes a dead process's sockets a moment after
        # its handle is signalled (what the monitor waits on).
        gone = port_closed(d.port, 10)
        check(gone is not None, f"the service's direct port is closed "
              f"({gone} s after the stop)", d.log)
    finally:
        sc("net", "stop", name)
        sc("sc", "delete", name)


def main():
    wine, exe = sys.argv[1:3]
    display = os.environ["DISPLAY"]
    tmp = tempfile.TemporaryDirectory(prefix="op-wine-daemon-")
    d = Daemon(wine, exe, tmp.name)
    # The first wine process boots the prefix, and services.exe inherits
    # its stdout and stderr: never a pipe that is closed later.
    subprocess.run([wine, "cmd", "/c", "ver"], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=120)
    rc, _, err = d.cli("password", "set", stdin=(PASSWORD + "\n").encode())
    check(rc == 0, f"password set: {rc} {err.strip()}", d.log)
    d.start()
    try:
        d.out.expect(lambda s: s.startswith("  ID:"), 120, d.log)
        otp = d.out.expect(lambda s: "one-time password:" in s, 60,
                           d.log).split(":", 1)[1].strip()
        check(len(otp) >= 6, f"banner: one-time password {otp!r}", d.log)
        d.out.expect(lambda s: s.startswith("File transfer, terminals"), 60,
                     d.log)
        rc, out, err = d.cli("status")
        check(rc == 0 and "running" in out and f"127.0.0.1:{d.port}" in out,
              f"outpost status over the named pipe: {rc} {out[:200]!r}",
              d.log)
        hostile(d.port, PASSWORD, d.log)
        c, r = login(d, "not-the-password")
        check(c is None and r == "Wrong Password",
              f"wrong password refused: {r!r}", d.log)
        # The default policy asks the user at the console (wine's
        # session 1, its user): the window comes up on this screen.
        c, r, seen = login_asked(d, otp, "deny")
        if c is not None:
            c.close()
        check(c is None and r == "Connection not allowed" and
              seen is not None,
              f"consent window up in {seen} s; Deny refused the one-time "
              f"password's session: {r!r}", d.log)
        # A source the user refused is not asked again for 30 s.
        c, r = login(d, PASSWORD)
        if c is not None:
            c.close()
        check(c is None and r == "Connection not allowed" and
              consent_gone(0), f"that source refused again at once, no "
              f"window: {r!r}", d.log)
        c, r, seen = login_asked(d, PASSWORD, "allow", source="127.0.0.2")
        check(c is not None and seen is not None,
              f"from another source: consent window up in {seen} s; Allow "
              f"let the permanent password's session in: {r!r}", d.log)
        try:
            video(d, c, r, display)
        finally:
            c.close()
        policy = text_of(d.conf)
        # Terminals as our own account (the only one Windows can start
        # yet; wine's is an administrator's, hence allow_root).
        share = os.path.join(d.tmp, "share")
        os.makedirs(share)
        with open(d.conf, "a") as f:
            f.write("policy:\n  consent:\n    when_user_present: allow\n"
                    "  allow:\n    terminal: true\n"
                    "    file_transfer: both\n"
                    f"  files:\n    roots: ['{winpath(share)}']\n"
                    f"  terminal:\n    user: '{getpass.getuser()}'\n"
                    "    allow_root: true\n")
        rc, out, err = d.cli("reload")
        check(rc == 0, f"outpost reload (consent: allow, terminals): {rc} "
              f"{out.strip()!r} {err.strip()!r}", d.log)
        terminal(d)
        c, r = login(d, PASSWORD, kind="file-transfer")
        check(c is not None, f"file-transfer session logs in: {r!r}",
              d.log)
        local = os.path.join(d.tmp, "local")
        os.makedirs(local)
        try:
            file_transfer_checks(c, share, local, d.log)
        finally:
            c.close()
        c, r = login(d, otp)
        if c is not None:
            c.close()
        check(c is None, f"the used one-time password is refused: {r!r}",
              d.log)
        # The technician asks for the screen to be locked when it leaves:
        # the network process calls LockWorkStation (wine does not
        # implement it: the call and its failure are what is seen).
        c, r = login(d, PASSWORD, option=client.option_message(
            lock_after_session_end="Yes"))
        check(c is not None, f"with allow, the password alone logs in: "
              f"{r!r}", d.log)
        c.wait_video(1, timeout=30)
        # Ctrl+Alt+Del goes to the monitor (SendSAS); one in a console is
        # no service, so it refuses and the keys are typed instead.
        c.key_legacy_control("CtrlAltDel", press=True)
        line = d.err.expect(lambda s: "Ctrl+Alt+Del" in s, 20, d.log)
        check("typed as keys" in line and
              "only the Windows service can send it" in line,
              f"Ctrl+Alt+Del asked of the monitor: {line.strip()}", d.log)
        c.close()
        line = d.err.expect(lambda s: "LockWorkStation" in s or
                            "was locked after the session" in s, 20, d.log)
        check(True, f"lock after the session: {line.strip()}", d.log)
        time.sleep(2)
        rc, out, err = d.cli("audit", "list")
        lines = [s for s in out.splitlines() if s.strip()]
        check(rc == 0 and len(lines) >= 4 and "consent-denied" in out,
              f"audit list (the denial by the user too): {rc}, "
              f"{len(lines)} lines:\n" + out[-1500:], d.log)
        audit_trail(d)
        # The monitor killed: the network process must not outlive it.
        d.proc.kill()
        d.proc.wait(30)
        gone = port_closed(d.port, 20)
        check(gone is not None, f"the network process ended with its "
              f"monitor (direct port closed {gone} s after)", d.log)
        with open(d.conf, "w") as f:  # the default policy: ask
            f.write(policy)
        as_service(d)
    finally:
        if d.proc.poll() is None:
            d.proc.kill()
    print(d.log())
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
