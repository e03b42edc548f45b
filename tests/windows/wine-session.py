#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A full session under wine (issue 16): the independent technician peer
(tests/peers, Linux) against session-host-win.exe (the session module
cross-built, under wine on this Xvfb screen) over loopback.

Usage (on an Xvfb screen, as with-xvfb.py runs it):
    wine-session.py WINE session-host-win.exe

Checks, one connection each: hostile clients (garbage before the key
exchange, an oversized frame, input before login) lose their connection
and the host keeps serving; a wrong password gets RustDesk's "Wrong
Password"; the right one logs in, the video stream (VP9, decoded by
ffmpeg) matches the X server's own picture of wine's desktop (xwd) at
>= 35 dB, typed text arrives in the host's window as WM_CHARs and a
clipboard text reaches the Win32 clipboard, and a tone played into a
private PipeWire's sink reaches the client as Opus (the host captures the
sink's monitor through WASAPI: wine has no loopback); a file-transfer
session lists,
downloads and uploads real files of a shared folder and is refused paths
out of it; a terminal session runs cmd.exe on ConPTY.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "peers"),
                os.path.join(HERE, "..", "integration")]

import client  # noqa: E402
import pipewire_util as pwu  # noqa: E402
import video_util  # noqa: E402
import wine_session_util as util  # noqa: E402

PASSWORD = "wine-Session-42"
# + the wrong password, the desktop, file-transfer and terminal sessions
SESSIONS = len(util.HOSTILE) + 4
MONITOR = "Monitor of OutpostTestSink"  # pipewire_util's sink
TONE = 997.0


class Host:
    def __init__(self, wine, exe, share, pw):
        args = [wine, exe, str(SESSIONS), util.winpath(share)]
        env = dict(os.environ)
        if pw is not None:
            args.append(MONITOR)
            env["PULSE_SERVER"] = "unix:" + pw.pulse_socket
        self.p = subprocess.Popen(args, env=env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = util.Lines(self.p.stdout)
        self.err = util.Lines(self.p.stderr)
        self.p.stdin.write((PASSWORD + "\n").encode())
        self.p.stdin.close()
        ready = self.expect(lambda s: s.startswith("READY "), 90)
        self.port = int(ready.split()[1])

    def expect(self, pred, timeout):
        return self.out.expect(pred, timeout, self.log)

    def log(self):
        return self.err.tail(60)


def check(cond, what, host):
    util.check(cond, what, host.log)


def hostile(host):
    util.hostile(host.port, PASSWORD, host.log)


def logged_in(host, kind):
    """A client of `kind` logged in with the right password."""
    c = client.Client(("127.0.0.1", host.port), direct=True, kind=kind, timeout=30)
    try:
        c.handshake()
        r = c.login(PASSWORD)
    except Exception:
        c.close()
        raise
    if isinstance(r, str) or r is None:
        c.close()
    check(not isinstance(r, str) and r is not None,
          f"{kind} login: {c.peer_info_summary(r) if r and not isinstance(r, str) else r}",
          host)
    return c, r


def wrong_password(host):
    c = client.Client(("127.0.0.1", host.port), direct=True)
    try:
        c.handshake()
        r = c.login("not-the-password")
    finally:
        c.close()
    check(r == "Wrong Password", f"wrong password refused: {r!r}", host)


def audio(c, host, pw):
    """A tone played into the sink arrives as Opus at TONE Hz."""
    c.pump(0.5)
    n0 = len(c.audio_frames)
    p = pw.play(pw.write_wav("tone.wav", pwu.tone(TONE, 3.0)))
    try:
        c.wait_audio(n0 + 100, timeout=30)
    finally:
        p.wait(20)
    c.pump(0.5)
    st = c.audio_stats()
    check([(f.sample_rate, f.channels) for f in c.audio_formats] == [(48000, 2)],
          f"audio format 48000 Hz stereo: {st}", host)
    pcm = c.audio_pcm()
    freq = pwu.dominant_frequency(pcm[48000 // 5:])
    check(abs(freq - TONE) < TONE * 0.01 and st["errors"] == 0,
          f"tone through WASAPI, Opus and the session: {freq:.2f} Hz "
          f"(played {TONE}), {st}", host)


def full_session(host, display, pw):
    c, r = logged_in(host, "desktop")
    try:
        pi = c.peer_info_summary(r)
        check(pi["platform"] == "Windows", f"PeerInfo.platform {pi['platform']!r}", host)
        w, h = c.display_size(0)
        c.wait_video(count=8, timeout=60)
        # The picture is still: the last frames are the refined ones.
        c.pump(2.0)
        with tempfile.TemporaryDirectory() as tmp:
            ivf = os.path.join(tmp, "s.ivf")
            c.write_ivf(ivf, display=0)
            got = video_util.decode_ivf(ivf, w, h, last_only=True)[0]
        truth, tw, th = video_util.xwd_image(display)
        check((tw, th) == (w, h), f"display size {w}x{h} = X screen {tw}x{th}", host)
        db = video_util.psnr(got, truth, w, h)
        stats = c.video_stats(0)
        check(db >= 35.0, f"video of wine's desktop vs xwd: {db:.2f} dB "
              f"({stats})", host)
        # The capture attached its thread to the input desktop (wine has
        # one, "Default"; a log-on screen's "Winlogon" is not testable).
        check(any('the input desktop is "Default"' in s for s in host.err.all),
              "capture follows the input desktop", host)

        c.type_text("hi42")
        want = [ord(ch) for ch in "hi42"]
        got_chars = []
        while len(got_chars) < len(want):
            line = host.expect(lambda s: s.startswith("CHAR "), 20)
            got_chars.append(int(line.split()[1]))
        check(got_chars == want, f"typed 'hi42' arrived as WM_CHAR {got_chars}", host)

        text = "outpost clip \u2713 42"
        c.send_clipboard(text.encode())
        line = host.expect(lambda s: s.startswith("CLIP ") and s != "CLIP ", 20)
        check(line[5:] == text, f"clipboard reached Win32: {line[5:]!r}", host)
        if pw is not None:
            audio(c, host, pw)
    finally:
        c.close()


def file_transfer(host, share, local):
    c, _ = logged_in(host, "file-transfer")
    try:
        util.file_transfer_checks(c, share, local, host.log)
    finally:
        c.close()


def terminal(host):
    c, _ = logged_in(host, "terminal")
    try:
        c.open_terminal(1)
        o = c.wait_terminal_opened(1)
        check(o.success, f"terminal opened: {o}", host)
        c.send_terminal_data(1, "set M=42\r")
        c.send_terminal_data(1, "echo hi-%M%\r")
        c.wait_terminal_output(1, "hi-42", 30)
        check(True, "cmd.exe on ConPTY: 'echo hi-%M%' printed hi-42", host)
        c.send_terminal_data(1, "exit 3\r")
        t = c.wait_terminal_closed(1, 30)
        check(t == 3, f"the shell's 'exit 3' reported as {t}", host)
    finally:
        c.close()


def main():
    wine, exe = sys.argv[1:3]
    display = os.environ["DISPLAY"]
    tmp = tempfile.TemporaryDirectory(prefix="op-wine-session-")
    share = os.path.join(tmp.name, "share")
    local = os.path.join(tmp.name, "local")
    os.mkdir(share)
    os.mkdir(local)
    missing = pwu.missing_tools(pulse=True)
    pw = None
    if missing:
        print(f"no audio in this run: not installed: {' '.join(missing)}")
    else:
        pw = pwu.PipeWire(pulse=True).__enter__()
        pw.run(["wpctl", "set-volume", "@DEFAULT_AUDIO_SINK@", "1.0"])
        # As wine-audio.py: 256-sample cycles miss deadlines under load.
        pw.run(["pw-metadata", "-n", "settings", "0", "clock.force-quantum", "2048"])
    host = Host(wine, exe, share, pw)
    print(f"session host under wine listening on 127.0.0.1:{host.port}")
    try:
        hostile(host)
        wrong_password(host)
        full_session(host, display, pw)
        file_transfer(host, share, local)
        terminal(host)
        rc = host.p.wait(timeout=60)
        check(rc == 0, f"host exited {rc} after {SESSIONS} sessions", host)
    finally:
        if host.p.poll() is None:
            host.p.kill()
        if pw is not None:
            pw.__exit__(None, None, None)
    print(host.log())
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
