# SPDX-License-Identifier: MIT
"""A private, real PipeWire for tests: dbus-daemon (session bus),
pipewire, wireplumber and optionally pipewire-pulse, running as an
unprivileged test user (`outpost-audiotest`, created when missing and we
are root; otherwise the current user) in a private XDG_RUNTIME_DIR, with
a null sink ("outpost-test-sink") as the default sink. Sounds are played
with pw-play as that user. Used by test_audio.py, the audio bench and
the session-level audio test.

    with PipeWire(pulse=True) as pw:
        wav = pw.write_wav("tone.wav", tone(1000, 2.0))
        p = pw.play(wav)              # Popen of pw-play; pw.played_at
        ... pw.runtime_dir is what the agent connects to ...
        pw.kill_pipewire()            # the server dies mid-stream
"""
import os
import shutil
import signal
import subprocess
import time
import wave

import numpy as np

from common import ensure_test_user, user_session_dirs

TEST_USER = "outpost-audiotest"
SINK = "outpost-test-sink"
RATE = 48000
TOOLS = ("pipewire", "wireplumber", "pw-cli", "pw-play", "wpctl",
         "dbus-daemon")


def missing_tools(pulse=False):
    """The programs a PipeWire test needs that are not installed."""
    need = TOOLS + (("pipewire-pulse",) if pulse else ())
    return [t for t in need if shutil.which(t) is None]


def ensure_user(name=TEST_USER):
    """(uid, gid) of the test user (common.ensure_test_user)."""
    return ensure_test_user(name, "Outpost audio tests")


def tone(freq, seconds, rate=RATE, amp=0.5, fade=0.005):
    """A stereo sine (n, 2) float array with short fades (no clicks)."""
    t = np.arange(int(seconds * rate)) / rate
    s = amp * np.sin(2 * np.pi * freq * t)
    nf = max(1, int(fade * rate))
    env = np.ones_like(s)
    env[:nf] = np.linspace(0, 1, nf)
    env[-nf:] = np.linspace(1, 0, nf)
    s *= env
    return np.stack([s, s], axis=1)


def chirp(seconds, rate=RATE, f0=110.0, f1=3520.0, amp=0.4):
    """Music-like test content: a log sweep plus a two-note harmony with
    a 4 Hz tremolo, different in both channels (the encoder cannot
    shortcut silence, mono or a pure tone)."""
    t = np.arange(int(seconds * rate)) / rate
    k = np.log(f1 / f0) / seconds
    sweep = np.sin(2 * np.pi * f0 * (np.exp(k * t) - 1) / k)
    notes = 0.5 * np.sin(2 * np.pi * 440 * t) + 0.3 * np.sin(
        2 * np.pi * 659.25 * t)
    trem = 0.75 + 0.25 * np.sin(2 * np.pi * 4 * t)
    left = amp * (0.6 * sweep + 0.4 * notes * trem)
    right = amp * (0.4 * sweep + 0.6 * notes * (1.5 - trem))
    return np.stack([left, right], axis=1)


def dominant_frequency(pcm, rate=RATE):
    """The strongest frequency of a mono or (n, ch) signal: Hann window,
    real FFT, parabolic interpolation around the peak bin."""
    x = np.asarray(pcm, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if len(x) < 64:
        return 0.0
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    spec[0] = 0
    k = int(np.argmax(spec))
    if 0 < k < len(spec) - 1:
        a, b, c = np.log(spec[k - 1:k + 2] + 1e-12)
        k = k + 0.5 * (a - c) / (a - 2 * b + c)
    return k * rate / len(x)


class PipeWire:
    """See the module docstring.  pulse=True also runs pipewire-pulse
    (pw.pulse_socket); sink=False starts without any sink (create_sink()
    later).  start()/stop() or a with-block."""

    def __init__(self, pulse=False, user=TEST_USER, log_dir=None, sink=True,
                 runtime_dir=None):
        self.fixed_runtime_dir = runtime_dir   # e.g. /run/user/UID
        self.pulse = pulse
        self.sink = sink
        self.user = user
        self.log_dir = log_dir
        self.procs = {}
        self.base = None
        self.played_at = None

    # -------------------------------------------------------------- set-up
    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.uid, self.gid = ensure_user(self.user)
        self.base, self.runtime_dir, self.home = user_session_dirs(
            self.uid, self.gid, "op-pw-")
        if self.fixed_runtime_dir:
            self.runtime_dir = self.fixed_runtime_dir
        self.env = {
            "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": self.home,
            "XDG_RUNTIME_DIR": self.runtime_dir,
            "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
            "XDG_STATE_HOME": os.path.join(self.home, ".state"),
            "DBUS_SESSION_BUS_ADDRESS":
                f"unix:path={self.runtime_dir}/bus",
            "DISABLE_RTKIT": "1", "PIPEWIRE_LOG_SYSTEMD": "false",
        }
        try:
            self._spawn("dbus", ["dbus-daemon", "--session", "--nofork",
                                 "--nopidfile", "--address",
                                 f"unix:path={self.runtime_dir}/bus"])
            self._wait_path("bus")
            self._spawn("pipewire", ["pipewire"])
            self._wait_path("pipewire-0")
            self._spawn("wireplumber", ["wireplumber"])
            if self.pulse:
                self._spawn("pipewire-pulse", ["pipewire-pulse"])
                self._wait_path("pulse/native")
            if self.sink:
                self.create_sink()
        except Exception:
            self.stop()
            raise
        return self

    @property
    def socket(self):
        return os.path.join(self.runtime_dir, "pipewire-0")

    @property
    def pulse_socket(self):
        return os.path.join(self.runtime_dir, "pulse", "native")

    def as_user(self, argv):
        if os.geteuid() == 0 and self.uid != 0:
            return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}",
                    "--clear-groups", "--"] + list(argv)
        return list(argv)

    def _log(self, name):
        if self.log_dir is None:
            return subprocess.DEVNULL
        return open(os.path.join(self.log_dir, f"{name}.log"), "ab")

    def _spawn(self, name, argv):
        self.procs[name] = subprocess.Popen(
            self.as_user(argv), env=self.env, cwd=self.home,
            stdin=subprocess.DEVNULL, stdout=self._log(name),
            stderr=subprocess.STDOUT, start_new_session=True)
        return self.procs[name]

    def _wait_path(self, rel, timeout=10):
        path = os.path.join(self.runtime_dir, rel)
        deadline = time.monotonic() + timeout
        while not os.path.exists(path):
            for n, p in self.procs.items():
                if p.poll() is not None:
                    raise RuntimeError(f"{n} exited with {p.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{path} did not appear")
            time.sleep(0.02)

    def run(self, argv, timeout=10, check=True):
        """Runs a tool (pw-cli, wpctl, ...) as the user; CompletedProcess."""
        return subprocess.run(self.as_user(argv), env=self.env,
                              cwd=self.home, capture_output=True, text=True,
                              timeout=timeout, check=check)

    def create_sink(self, timeout=15):
        """The null sink, made the default (start() does it unless
        sink=False)."""
        self.run(["pw-cli", "create-node", "adapter",
                  "{ factory.name=support.null-audio-sink node.name=" + SINK
                  + " node.description=OutpostTestSink"
                  " media.class=Audio/Sink object.linger=true"
                  " audio.position=[FL FR] audio.rate=48000 }"])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.run(["wpctl", "inspect", "@DEFAULT_AUDIO_SINK@"],
                         check=False)
            if f'node.name = "{SINK}"' in r.stdout:
                return
            time.sleep(0.1)
        raise TimeoutError("the null sink did not become the default")

    # ----------------------------------------------------------------- use
    def write_wav(self, name, samples, rate=RATE):
        """Writes (n, 2) floats in [-1, 1] as 16-bit stereo WAV in the
        base dir (readable by the user); returns the path."""
        path = os.path.join(self.base, name)
        data = np.clip(np.asarray(samples), -1, 1)
        pcm = (data * 32767).astype("<i2")
        with wave.open(path, "wb") as w:
            w.setnchannels(pcm.shape[1])
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(pcm.tobytes())
        os.chmod(path, 0o644)
        return path

    def play(self, path, latency=None):
        """Starts pw-play of path (to the default sink) as the user;
        returns the Popen. latency: pw-play's --latency (its default,
        100 ms, is what a desktop player asks for). self.played_at =
        time.monotonic() just before the process was started."""
        self.played_at = time.monotonic()
        extra = [f"--latency={latency}"] if latency else []
        return subprocess.Popen(
            self.as_user(["pw-play"] + extra + [path]),
            env=self.env, cwd=self.home, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def streams(self):
        """`wpctl status` as text (for diagnostics)."""
        return self.run(["wpctl", "status"], check=False).stdout

    def kill_pipewire(self, sig=signal.SIGKILL):
        """Kills the pipewire daemon (and pipewire-pulse) mid-stream."""
        for name in ("pipewire-pulse", "pipewire"):
            p = self.procs.get(name)
            if p is not None and p.poll() is None:
                p.send_signal(sig)
                p.wait(5)

    def terminate(self, name, grace=3):
        """Stops the process started as name (SIGTERM, then SIGKILL)."""
        p = self.procs.pop(name, None)
        if p is None or p.poll() is not None:
            return
        p.terminate()
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(grace)

    def stop(self):
        for name in ("pipewire-pulse", "wireplumber", "pipewire", "dbus"):
            self.terminate(name)
        if self.base:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None
