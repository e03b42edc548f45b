#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Audio capture (issue 15) against a real PipeWire: agent/audio through
tests/tools/op-audio-probe, with a private pipewire + wireplumber (+
pipewire-pulse) as the test user and a null sink as the default sink
(pipewire_util.py). The Opus packets are decoded by the independent
client's decoder (tests/peers/client_audio.py, libopus via ctypes) and
the tone is found by FFT. Latency is from starting pw-play to the first
packet; CPU is the probe's utime+stime from /proc. Figures are printed
as `AUDIO ...` lines."""
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import unittest

from common import SOURCE_DIR, main

sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "peers"))
import pipewire_util as pwu                             # noqa: E402
from client_audio import OpusDecoder, dominant_frequency  # noqa: E402

PROBE = os.environ.get("OP_AUDIO_PROBE", os.path.join(
    SOURCE_DIR, "build", "dev", "tests", "tools", "op-audio-probe"))
OP_ERR_NOT_FOUND = -20010
OP_ERR_GONE = -20014
LATENCY_GOAL = float(os.environ.get("OP_AUDIO_LATENCY_GOAL", "0.150"))
TICK = os.sysconf("SC_CLK_TCK")


def report(name, value):
    print(f"AUDIO {name} {value}", flush=True)


class Probe:
    """op-audio-probe as a child: events on a queue, commands on stdin."""

    def __init__(self, runtime_dir, *args):
        env = dict(os.environ)
        self.proc = subprocess.Popen([PROBE, runtime_dir] + list(args),
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True,
                                     env=env)
        self.first = json.loads(self.proc.stdout.readline())
        self.events = queue.Queue()
        self.packets = []            # (t, bytes)
        self.errors = []
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            e = json.loads(line)
            if e["event"] == "packet":
                with self.lock:
                    self.packets.append((e["t"], bytes.fromhex(e.get("hex", ""))))
                continue
            if e["event"] == "error":
                self.errors.append(e)
            self.events.put(e)

    def cmd(self, c, timeout=10):
        self.proc.stdin.write(c + "\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            e = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            if c == "stats" and e["event"] == "stats":
                return e
            if e["event"] == "done" and e["command"] == c:
                return e

    def packets_since(self, t):
        with self.lock:
            return [p for p in self.packets if p[0] >= t]

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK   # utime, stime

    def quit(self, timeout=10):
        """Closes everything and returns (exit code, last event)."""
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        self.proc.wait(timeout)
        last = None
        while not self.events.empty():
            last = self.events.get()
        return self.proc.returncode, last


def decode(packets):
    dec = OpusDecoder(48000, 2)
    import numpy as np
    return np.concatenate([dec.decode(p) for _, p in packets])


def wait_packets(probe, since, n, timeout=5):
    deadline = time.monotonic() + timeout
    while len(probe.packets_since(since)) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    return probe.packets_since(since)


@unittest.skipUnless(os.path.exists(PROBE), f"no {PROBE}")
class PipeWireCase(unittest.TestCase):
    pulse = False

    @classmethod
    def setUpClass(cls):
        missing = pwu.missing_tools(pulse=cls.pulse)
        if missing:
            raise unittest.SkipTest(f"not installed: {missing}")
        cls.pw = pwu.PipeWire(pulse=cls.pulse).start()
        cls.tone_wav = cls.pw.write_wav("tone1k.wav", pwu.tone(1000, 0.6))
        cls.long_wav = cls.pw.write_wav("tone1k-long.wav", pwu.tone(1000, 8))
        cls.zero_wav = cls.pw.write_wav("zeros.wav", pwu.tone(1000, 3, amp=0))

    @classmethod
    def tearDownClass(cls):
        cls.pw.stop()

    def own_server(self, sink=True):
        """A server of this test's own, for tests that kill it."""
        pw = pwu.PipeWire(pulse=self.pulse, sink=sink).start()
        self.addCleanup(pw.stop)
        self.long_wav = pw.write_wav("tone1k-long.wav", pwu.tone(1000, 8))
        self.pw = pw
        return pw

    def probe(self, *args):
        p = Probe(self.pw.runtime_dir, *args)
        self.addCleanup(lambda: p.proc.poll() is None and p.proc.kill())
        self.assertEqual(p.first["event"], "ready", p.first)
        return p

    def play(self, wav, wait=True):
        p = self.pw.play(wav)
        if wait:
            p.wait(20)
        return p

    def trial(self, probe):
        """Plays the short tone; returns (latency s, its packets)."""
        time.sleep(0.2)
        p = self.pw.play(self.tone_wav)
        t0 = self.pw.played_at
        p.wait(20)
        pk = wait_packets(probe, t0, 25, timeout=3)
        self.assertTrue(pk, "no packet for a played tone")
        return pk[0][0] - t0, pk


class AudioPipeWire(PipeWireCase):
    def test_tone_frequency_and_latency(self):
        probe = self.probe()
        self.assertEqual(probe.first["backend"], "pipewire")
        self.assertEqual((probe.first["rate"], probe.first["channels"]),
                         (48000, 2))
        self.assertEqual(probe.cmd("start")["status"], 0)
        # Latency includes pw-play's start and WirePlumber linking it,
        # which vary with the machine's load: a second series of 20 is
        # measured when the first misses the goal.
        for series in range(2):
            lat = []
            for i in range(20):
                t, pk = self.trial(probe)
                lat.append(t)
                if i == 0:
                    first = pk
            lat.sort()
            p50, p95 = lat[len(lat) // 2], lat[18]
            report("latency_ms", f"p50 {p50 * 1000:.0f} p95 {p95 * 1000:.0f}"
                   f" max {lat[-1] * 1000:.0f} (pw-play start to first "
                   f"packet, 20 plays)")
            if p95 <= LATENCY_GOAL:
                break
        # One Opus packet per 20 ms frame, about 100 kbit/s, bounded.
        sizes = [len(p) for _, p in first]
        self.assertTrue(all(2 <= s <= 1500 for s in sizes), sizes)
        pcm = decode(first)
        self.assertEqual(len(pcm), 960 * len(first))
        f = dominant_frequency(pcm[4800:], 48000)
        err = abs(f - 1000.0) / 1000.0
        report("tone_hz", f"{f:.2f} (error {err * 100:.3f} %)")
        self.assertLess(err, 0.01)
        self.assertLessEqual(p95, LATENCY_GOAL)
        st = probe.cmd("stats")
        self.assertEqual(st["dropped"], 0, st)
        rc, last = probe.quit()
        self.assertEqual((rc, last["event"], last["loop_close"]),
                         (0, "exit", 0))

    def test_silence_costs_nothing(self):
        probe = self.probe()
        probe.cmd("start")
        time.sleep(1.0)      # linking settles
        c0, t0 = probe.cpu_seconds(), time.monotonic()
        time.sleep(10)
        cpu = (probe.cpu_seconds() - c0) / (time.monotonic() - t0)
        report("idle_cpu_percent", f"{cpu * 100:.2f} (nothing playing, 10 s)")
        self.assertEqual(probe.packets_since(0), [])
        self.assertLess(cpu, 0.01)
        # A player that plays digital silence keeps the graph running:
        # frames arrive, none is encoded or sent.
        c0, t0 = probe.cpu_seconds(), time.monotonic()
        self.play(self.zero_wav)
        cpu = (probe.cpu_seconds() - c0) / (time.monotonic() - t0)
        report("zeros_cpu_percent", f"{cpu * 100:.2f} (3 s of digital silence)")
        st = probe.cmd("stats")
        self.assertGreater(st["frames"], 100, st)
        self.assertEqual(st["frames"], st["silent"], st)
        self.assertEqual(probe.packets_since(0), [])
        # The CPU of scanning silent frames is a figure (printed above),
        # not asserted: on a loaded machine it measures the machine.
        self.assertEqual(probe.quit()[0], 0)

    def test_stop_start_close_while_playing(self):
        probe = self.probe()
        probe.cmd("start")
        p = self.play(self.long_wav, wait=False)
        self.addCleanup(p.kill)
        self.assertTrue(wait_packets(probe, 0, 10))
        probe.cmd("stop")
        t = time.monotonic()
        time.sleep(0.5)
        self.assertEqual(probe.packets_since(t), [])
        self.assertEqual(probe.cmd("start")["status"], 0)
        pk = wait_packets(probe, time.monotonic(), 20)
        f = dominant_frequency(decode(pk)[4800:], 48000)
        self.assertLess(abs(f - 1000) / 1000, 0.01, f)
        probe.cmd("close")   # audio_close while packets flow
        t = time.monotonic()
        time.sleep(0.3)
        self.assertEqual(probe.packets_since(t), [])
        rc, last = probe.quit()
        self.assertEqual((rc, last["loop_close"]), (0, 0))

    def test_connect_as_user(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to switch users")
        probe = self.probe("--as-user", f"{self.pw.uid}:{self.pw.gid}")
        probe.cmd("start")
        _, pk = self.trial(probe)
        f = dominant_frequency(decode(pk)[4800:], 48000)
        self.assertLess(abs(f - 1000) / 1000, 0.01, f)
        # The server sees its own user, not root.
        clients = self.pw.run(["pw-cli", "ls", "Client"]).stdout
        self.assertIn("op-audio-probe", clients)
        self.assertEqual(probe.quit()[0], 0)

    def test_no_server(self):
        empty = os.path.join(self.pw.base, "empty")
        os.makedirs(empty, exist_ok=True)
        p = subprocess.run([PROBE, empty], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=10)
        e = json.loads(p.stdout.splitlines()[0])
        self.assertEqual((p.returncode, e["event"], e["status"]),
                         (3, "open_failed", OP_ERR_NOT_FOUND))


    def test_no_sink_then_a_sink(self):
        # No sink to capture: this stream fails (not final); once a sink
        # exists, starting again works.
        pw = self.own_server(sink=False)
        probe = self.probe()
        probe.cmd("start")
        deadline = time.monotonic() + 5
        while not probe.errors and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual([e["status"] for e in probe.errors],
                         [OP_ERR_NOT_FOUND])
        pw.create_sink()
        self.assertEqual(probe.cmd("start")["status"], 0)
        self.tone_wav = pw.write_wav("tone1k.wav", pwu.tone(1000, 0.6))
        _, pk = self.trial(probe)
        f = dominant_frequency(decode(pk)[4800:], 48000)
        self.assertLess(abs(f - 1000) / 1000, 0.01, f)
        self.assertEqual(len(probe.errors), 1)
        rc, last = probe.quit()
        self.assertEqual((rc, last["loop_close"]), (0, 0))

    def test_pipewire_killed_mid_stream(self):
        self.own_server()
        probe = self.probe()
        probe.cmd("start")
        p = self.play(self.long_wav, wait=False)
        self.addCleanup(p.kill)
        self.assertTrue(wait_packets(probe, 0, 10))
        self.pw.kill_pipewire(signal.SIGKILL)
        deadline = time.monotonic() + 5
        while not probe.errors and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual([e["status"] for e in probe.errors], [OP_ERR_GONE])
        t = time.monotonic()
        time.sleep(0.5)
        self.assertEqual(probe.packets_since(t), [])
        self.assertEqual(probe.cmd("start")["status"], OP_ERR_GONE)
        # Still alive and idle, then everything is freed (ASan/LSan
        # builds fail the exit code on a leak).
        c0 = probe.cpu_seconds()
        time.sleep(1)
        self.assertLess(probe.cpu_seconds() - c0, 0.05)
        self.assertEqual(len(probe.errors), 1)
        rc, last = probe.quit()
        self.assertEqual((rc, last["loop_close"]), (0, 0))


class AudioPulse(PipeWireCase):
    """The pulse-simple fallback, served by pipewire-pulse."""
    pulse = True

    def test_pulse_tone_and_silence(self):
        probe = self.probe("pulse")
        self.assertEqual(probe.first["backend"], "pulse")
        probe.cmd("start")
        time.sleep(1.0)
        self.assertEqual(probe.packets_since(0), [])
        _, pk = self.trial(probe)
        pk = wait_packets(probe, pk[0][0], 25)
        f = dominant_frequency(decode(pk)[4800:], 48000)
        report("pulse_tone_hz", f"{f:.2f}")
        self.assertLess(abs(f - 1000) / 1000, 0.01, f)
        probe.cmd("stop")
        self.assertEqual(probe.cmd("start")["status"], 0)
        time.sleep(0.3)
        rc, last = probe.quit()
        self.assertEqual((rc, last["loop_close"]), (0, 0))

    def test_pulse_server_killed(self):
        self.own_server()
        probe = self.probe("pulse")
        probe.cmd("start")
        time.sleep(0.5)
        self.pw.kill_pipewire(signal.SIGKILL)
        deadline = time.monotonic() + 5
        while not probe.errors and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual([e["status"] for e in probe.errors], [OP_ERR_GONE])
        rc, last = probe.quit()
        self.assertEqual((rc, last["loop_close"]), (0, 0))


if __name__ == "__main__":
    main()
