#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Audio in a desktop session (issue 15), end to end: a private PipeWire
(pipewire + wireplumber as the test user, a null sink as the default;
pipewire_util.py), the real agent with policy.allow.audio and
display.audio_runtime_dir pointing at that user's runtime dir, and the
independent technician client (tests/peers/client_audio.py) logged in
over direct IP. The client decodes the Opus stream and finds the tone by
FFT. Latency is from starting pw-play to the first decoded frame that
carries sound, and to the first AudioFrame at all (what test_audio.py
measures: the player's stream begins with a few near-silent frames).
CPU is the agent's utime+stime from /proc.
Figures are printed as `SESSION-AUDIO ...` lines."""
import json
import os
import sys
import time

import numpy as np

from common import SOURCE_DIR, main, run
from desktop_case import DesktopCase

sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "peers"))
import pipewire_util as pwu                           # noqa: E402
from client_audio import dominant_frequency           # noqa: E402
from client_base import mpb                           # noqa: E402
from client_media import default_supported_decoding   # noqa: E402

LATENCY_GOAL = float(os.environ.get("OP_AUDIO_LATENCY_GOAL", "0.150"))
TICK = os.sysconf("SC_CLK_TCK")
SOUND_RMS = 0.01       # a decoded frame louder than this carries the tone


def report(name, value):
    print(f"SESSION-AUDIO {name} {value}", flush=True)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK   # utime, stime


class AudioSessionCase(DesktopCase):
    """A PipeWire of its own per test (some kill it), the agent's display
    and audio pointed at it."""
    PASSWORD = "session audio test password"
    allow_audio = True
    runtime_dir = True     # display.audio_runtime_dir set

    def setUp(self):
        missing = pwu.missing_tools()
        if missing:
            self.skipTest(f"not installed: {missing}")
        if os.geteuid() != 0:
            self.skipTest("needs root (the test user's PipeWire)")
        self.pw = pwu.PipeWire().start()
        self.addCleanup(self.pw.stop)
        self.tone_wav = self.pw.write_wav("tone1k.wav", pwu.tone(1000, 0.6))
        self.long_wav = self.pw.write_wav("tone440.wav", pwu.tone(440, 15))
        self.zero_wav = self.pw.write_wav("zeros.wav",
                                          pwu.tone(1000, 3, amp=0))
        self.extra = ("policy:\n  allow:\n    audio: "
                      f"{'true' if self.allow_audio else 'false'}\n")
        super().setUp()

    def prepare_screen(self):
        # The X display is known only now (DesktopCase started Xvfb).
        rt = (f"  audio_runtime_dir: {self.pw.runtime_dir}\n"
              if self.runtime_dir else "")
        self.display_yaml = (
            f"display:\n  x11: \"{self.x.display}\"\n{rt}"
            "  virtual:\n    mode: never\n")

    def connect(self, **login_fields):
        c, _ = self.login(dict(keep_video=False), pump=0.3, **login_fields)
        self.addCleanup(c.close)
        return c

    def play(self, wav):
        p = self.pw.play(wav)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        return p

    def why(self, c):
        return (f"\nclient: {c.summary()}\naudio: {c.audio_stats()}\n"
                f"agent log:\n{self.agent.log()[-3000:]}")

    def wait_frames(self, c, since, n, timeout=5.0):
        """Pumps until n decoded frames arrived after since."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = [f for f in c.audio_frames if f.t >= since]
            if len(got) >= n:
                return got
            c.pump(0.02)
        self.fail(f"{len(got)} of {n} audio frames in {timeout} s"
                  + self.why(c))

    def first_sound(self, c, since, timeout=3.0):
        """Arrival times (first frame, first frame that carries sound)
        of the decoded frames after since; None when nothing came."""
        deadline = time.monotonic() + timeout
        i = 0
        first = None
        while time.monotonic() < deadline:
            chunks = c.audio_pcm_chunks
            for t, pcm in chunks[i:]:
                if t < since:
                    continue
                first = t if first is None else first
                if np.sqrt(np.mean(pcm ** 2)) > SOUND_RMS:
                    return first, t
            i = len(chunks)
            c.pump(0.01)
        return first, None

    def audit_events(self, kind, want=1, timeout=5.0):
        """The session records' events of this type (waits for want)."""
        deadline = time.monotonic() + timeout
        while True:
            out = []
            sessions = json.loads(run(["-c", self.agent.config, "audit",
                                       "list", "--json"]).stdout)
            for s in sessions:
                p = run(["-c", self.agent.config, "audit", "show",
                         str(s["id"]), "--json"])
                for e in json.loads(p.stdout).get("events", []):
                    if e.get("type") == kind:
                        f = e.get("fields", {})
                        out.append(json.loads(f) if isinstance(f, str)
                                   else f)
            if len(out) >= want or time.monotonic() > deadline:
                return out
            time.sleep(0.2)

    def assert_session_alive(self, c):
        """A TestDelay round trip: the session still answers."""
        n = c.test_delays
        t = time.monotonic()
        c.send_test_delay()
        c.wait_for("test_delay", timeout=5)
        self.assertFalse(c.closed, self.why(c))
        report("test_delay_rtt_ms", f"{(time.monotonic() - t) * 1000:.1f}")
        return n


class SessionAudio(AudioSessionCase):
    def test_tone_frequency_and_latency(self):
        c = self.connect()
        # Audio is granted: not announced off; the format comes at login,
        # before any frame.
        self.assertNotEqual(c.permissions.get("Audio"), False, self.why(c))
        self.assertEqual([(f.sample_rate, f.channels)
                          for f in c.audio_formats], [(48000, 2)],
                         self.why(c))
        self.assertEqual(c.audio_frames, [], "frames while nothing plays")
        freqs = []
        # Latency includes pw-play's start and WirePlumber linking it,
        # which vary with the machine's load: a second series of 20 is
        # measured when the first misses the goal (as test_audio.py).
        for series in range(2):
            lat, snd = [], []
            for i in range(20):
                c.pump(0.3)
                p = self.play(self.tone_wav)
                t0 = self.pw.played_at
                first, sound = self.first_sound(c, t0)
                self.assertIsNotNone(sound, "no sound for a played tone"
                                     + self.why(c))
                lat.append(first - t0)
                snd.append(sound - t0)
                p.wait(10)
                c.pump(0.8)       # the tail and the 500 ms hangover
                if len(freqs) < 3:
                    pcm = c.audio_pcm(since=t0)
                    freqs.append(dominant_frequency(pcm[4800:], 48000))
            lat.sort()
            snd.sort()
            p50, p95 = lat[len(lat) // 2], lat[18]
            report("latency_ms", f"p50 {p50 * 1000:.0f} p95 {p95 * 1000:.0f}"
                   f" max {lat[-1] * 1000:.0f} (pw-play start to the first "
                   f"AudioFrame at the client, 20 plays)")
            report("sound_latency_ms", f"p50 {snd[10] * 1000:.0f} p95 "
                   f"{snd[18] * 1000:.0f} max {snd[-1] * 1000:.0f} (pw-play "
                   f"start to the first frame with the tone's level)")
            if p95 <= LATENCY_GOAL:
                break
        errs = [abs(f - 1000.0) / 1000.0 for f in freqs]
        report("tone_hz", " ".join(f"{f:.2f}" for f in freqs)
               + f" (worst error {max(errs) * 100:.3f} %)")
        self.assertLess(max(errs), 0.01, freqs)
        self.assertLessEqual(p95, LATENCY_GOAL)
        st = c.audio_stats()
        self.assertEqual(st["errors"], 0, st)
        self.assertEqual(st["formats"], 1, st)
        sizes = [len(f.data) for f in c.audio_frames]
        self.assertTrue(all(2 <= s <= 1500 for s in sizes))
        self.assertTrue(all(f.samples == 960 for f in c.audio_frames))
        report("packets", f"{st['frames']} ({st['bytes']} bytes, "
               f"{st['seconds']:.1f} s decoded)")
        on = self.audit_events("audio.on")
        self.assertEqual([e["backend"] for e in on], ["pipewire"])
        st_json = self.agent.status()
        try:
            import jsonschema
        except ImportError:
            jsonschema = None
        if jsonschema is not None:
            with open(f"{SOURCE_DIR}/config/schema/status.schema.json") as f:
                jsonschema.validate(st_json, json.load(f))
        audio = st_json["audio"]["sessions"]
        self.assertEqual(len(audio), 1, audio)
        self.assertTrue(audio[0]["on"])
        self.assertEqual(audio[0]["packets"], st["frames"])
        c.close()
        off = self.audit_events("audio.off")
        self.assertEqual([e["reason"] for e in off], ["closed"], off)
        self.assertEqual(off[0]["packets"], st["frames"], off)

    def test_client_disables_and_enables(self):
        c = self.connect()
        self.play(self.long_wav)
        self.wait_frames(c, 0, 25)
        c.send_audio_option(disable=True)
        t_off = time.monotonic()
        c.pump(1.5)
        # Frames already on the way may arrive; none after that.
        late = [f for f in c.audio_frames if f.t > t_off + 0.3]
        self.assertEqual(len(late), 0, self.why(c))
        off = self.audit_events("audio.off")
        self.assertEqual([e["reason"] for e in off], ["client-disabled"])
        # On again: a new AudioFormat first, then the tone.
        c.send_audio_option(disable=False)
        t_on = time.monotonic()
        got = self.wait_frames(c, t_on, 30)
        self.assertEqual(len(c.audio_formats), 2, self.why(c))
        self.assertLess(c.audio_formats[1].t, got[0].t)
        f = dominant_frequency(c.audio_pcm(since=t_on)[4800:], 48000)
        self.assertLess(abs(f - 440) / 440, 0.01, f)
        self.assertEqual(len(self.audit_events("audio.on", want=2)), 2)
        self.assert_session_alive(c)

    def test_disabled_at_login(self):
        opt = mpb.OptionMessage()
        opt.supported_decoding.CopyFrom(default_supported_decoding())
        opt.disable_audio = 2                  # BoolOption Yes
        c, _ = self.login(dict(keep_video=False, option=opt), pump=0.3)
        self.addCleanup(c.close)
        self.play(self.long_wav)
        c.pump(2.0)
        self.assertEqual((c.audio_formats, c.audio_frames), ([], []),
                         self.why(c))
        # The client switches it on (its mute toggle).
        c.send_audio_option(disable=False)
        got = self.wait_frames(c, 0, 10)
        self.assertLess(c.audio_formats[0].t, got[0].t)

    def test_reload_withdraws(self):
        c = self.connect()
        self.play(self.long_wav)
        self.wait_frames(c, 0, 10)
        with open(self.agent.config) as f:
            text = f.read()
        with open(self.agent.config, "w") as f:
            f.write(text.replace("    audio: true\n", "    audio: false\n"))
        p = run(["-c", self.agent.config, "reload"])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        deadline = time.monotonic() + 5
        while c.permissions.get("Audio") is not False and \
                time.monotonic() < deadline:
            c.pump(0.05)
        t = time.monotonic()
        self.assertIs(c.permissions.get("Audio"), False, self.why(c))
        c.pump(1.0)
        self.assertEqual([f for f in c.audio_frames if f.t > t + 0.2], [])
        # The client cannot switch it back on.
        c.send_audio_option(disable=False)
        c.pump(1.0)
        self.assertEqual([f for f in c.audio_frames if f.t > t + 0.2], [])
        self.assertEqual(len(c.audio_formats), 1)
        off = self.audit_events("audio.off")
        self.assertEqual([e["reason"] for e in off], ["withdrawn"])
        self.assert_session_alive(c)

    def test_pipewire_killed_mid_session(self):
        c = self.connect()
        self.play(self.long_wav)
        self.wait_frames(c, 0, 10)
        self.pw.kill_pipewire()
        off = self.audit_events("audio.off")
        self.assertEqual([e["reason"] for e in off], ["error"], off)
        self.assertIn("error", off[0])
        c.pump(0.5)
        t = time.monotonic()
        c.pump(1.0)
        self.assertEqual([f for f in c.audio_frames if f.t > t], [])
        # The session goes on: it answers, and the client's toggle does
        # not bring a dead server back.
        self.assert_session_alive(c)
        c.send_audio_option(disable=True)
        c.send_audio_option(disable=False)
        c.pump(1.0)
        self.assertEqual([f for f in c.audio_frames if f.t > t], [])
        self.assertFalse(c.closed)
        self.assertIn("audio ended", self.agent.log())
        self.assertEqual(self.agent.status()["sessions"], 1)

    def test_silence_costs_nothing(self):
        c = self.connect()
        pid = self.agent.proc.pid
        # Login's work (the first VP9 key frame, under ASan) settles.
        c.pump(3.0)
        c0, t0 = cpu_seconds(pid), time.monotonic()
        c.pump(8.0)
        cpu = (cpu_seconds(pid) - c0) / (time.monotonic() - t0)
        report("idle_cpu_percent", f"{cpu * 100:.2f} (agent, a session with "
               "audio on, nothing playing, 8 s)")
        self.assertEqual(c.audio_frames, [])
        self.assertLess(cpu, 0.01)
        # A player playing digital silence: frames reach the agent, none
        # is sent.
        p = self.play(self.zero_wav)
        c0, t0 = cpu_seconds(pid), time.monotonic()
        while p.poll() is None and time.monotonic() - t0 < 10:
            c.pump(0.1)
        cpu = (cpu_seconds(pid) - c0) / (time.monotonic() - t0)
        report("zeros_cpu_percent", f"{cpu * 100:.2f} (agent, 3 s of "
               "digital silence playing)")
        c.pump(0.5)
        self.assertEqual(c.audio_frames, [], self.why(c))
        # Not the "nothing plays" case: the graph runs and every frame is
        # scanned by the gate (2.2-3.0 % measured in the ASan agent). A
        # figure, printed above, not asserted: on a loaded machine it is
        # the machine that is measured.
        # For comparison, music-like content (a chirp with harmonies):
        # every 20 ms frame is encoded and sent.
        wav = self.pw.write_wav("chirp.wav", pwu.chirp(5))
        p = self.play(wav)
        c0, t0 = cpu_seconds(pid), time.monotonic()
        while p.poll() is None and time.monotonic() - t0 < 10:
            c.pump(0.1)
        cpu = (cpu_seconds(pid) - c0) / (time.monotonic() - t0)
        st = c.audio_stats()
        report("chirp_cpu_percent", f"{cpu * 100:.2f} (agent, 5 s chirp: "
               f"{st['frames']} packets, "
               f"{st['bytes'] * 8 / 1000 / max(st['seconds'], 0.001):.1f} "
               "kbit/s)")
        self.assertGreater(st["frames"], 200, st)
        self.assertEqual(st["errors"], 0, st)
        self.assert_session_alive(c)


class SessionAudioDenied(AudioSessionCase):
    allow_audio = False

    def test_permission_off_no_audio(self):
        c = self.connect()
        self.assertIs(c.permissions.get("Audio"), False, self.why(c))
        p = self.play(self.tone_wav)
        c.pump(1.5)
        p.wait(10)
        c.send_audio_option(disable=False)     # asking changes nothing
        c.pump(0.5)
        self.assertEqual((c.audio_formats, c.audio_frames), ([], []),
                         self.why(c))
        self.assertEqual(self.audit_events("audio.on", timeout=0.5), [])
        self.assertNotIn("audio on", self.agent.log())


class SessionAudioNoServer(AudioSessionCase):
    """Allowed, but display.x11 without display.audio_runtime_dir: whose
    sound server it would be is unknown, so there is none."""
    runtime_dir = False

    def test_no_sound_server(self):
        c = self.connect()
        self.assertIs(c.permissions.get("Audio"), False, self.why(c))
        p = self.play(self.tone_wav)
        c.pump(1.5)
        p.wait(10)
        self.assertEqual((c.audio_formats, c.audio_frames), ([], []))
        log = self.agent.log_with("no audio: display.x11 is set")
        self.assertEqual(log.count("no audio:"), 1, log[-2000:])
        self.assert_session_alive(c)


if __name__ == "__main__":
    main()
