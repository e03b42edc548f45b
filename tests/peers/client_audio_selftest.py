# SPDX-License-Identifier: MIT
"""Self-test of client_audio.py (AudioMixin) against a fake audio host
written here from the protocol reference §12 (the C agent is not
involved): after login, a Misc.option with disable_audio = No makes the
host send Misc.audio_format and a tone as 20 ms Opus packets (encoded
with libopus through ctypes); disable_audio = Yes is recorded.  Also
frames before any format, garbage and oversized packets, and a format
change.  Last line: 'N passed, M failed'.

    /usr/bin/python3 tests/peers/client_audio_selftest.py [-v] [name ...]
"""
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from client import Client                               # noqa: E402
import selftest_runner                                 # noqa: E402
from client_audio import (OpusEncoder, OPUS_MAX_PACKET,  # noqa: E402
                          dominant_frequency)
from client_selftest_host import PASSWORD, ScriptedHost, mpb  # noqa: E402


def tone(freq, seconds, rate=48000, channels=2, amp=0.5):
    t = np.arange(int(seconds * rate)) / rate
    s = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([s] * channels, axis=1)


class AudioHost:
    """on_message for ScriptedHost: the audio toggle drives a tone."""

    def __init__(self, freq=440.0, seconds=1.0, rate=48000, channels=2,
                 before=()):
        self.freq, self.seconds = freq, seconds
        self.rate, self.channels = rate, channels
        self.before = before        # raw AudioFrame payloads sent first
        self.events = []

    def send_frame(self, hc, data):
        m = mpb.Message()
        m.audio_frame.data = data
        hc.send(m)

    def send_format(self, hc, rate, channels):
        m = mpb.Message()
        m.misc.audio_format.sample_rate = rate
        m.misc.audio_format.channels = channels
        hc.send(m)

    def send_tone(self, hc, freq, seconds, rate, channels):
        enc = OpusEncoder(rate, channels)
        pcm = tone(freq, seconds, rate, channels)
        step = rate // 50
        for i in range(0, len(pcm) - step + 1, step):
            self.send_frame(hc, enc.encode(pcm[i:i + step]))
        enc.close()

    def __call__(self, host, hc, cid, m):
        if m.WhichOneof("union") != "misc" or \
                m.misc.WhichOneof("union") != "option":
            return False
        v = m.misc.option.disable_audio
        self.events.append(("disable_audio", v))
        if v == 1:                      # No: audio on
            for data in self.before:
                self.send_frame(hc, data)
            self.send_format(hc, self.rate, self.channels)
            self.send_tone(hc, self.freq, self.seconds, self.rate,
                           self.channels)
        return True


def session(ah):
    h = ScriptedHost(on_message=ah)
    c = Client(h.addr, host_pk=h.pk, target_id=h.id)
    c.handshake()
    pi = c.login(PASSWORD)
    assert not isinstance(pi, str), pi
    return h, c


# --------------------------------------------------------------- tests
def t_tone_decoded():
    ah = AudioHost(freq=440.0, seconds=1.0)
    h, c = session(ah)
    try:
        t0 = time.monotonic()
        c.send_audio_option(disable=False)
        c.wait_audio(50, timeout=10)
        assert c.audio_formats[-1][1:] == (48000, 2), c.audio_formats
        assert c.audio_formats[-1].t <= c.audio_frames[0].t
        st = c.audio_stats()
        assert st["frames"] == 50 and st["decoded"] == 50, st
        assert abs(st["seconds"] - 1.0) < 1e-6, st
        assert all(f.samples == 960 for f in c.audio_frames)
        ts = [f.t for f in c.audio_frames]
        assert ts == sorted(ts) and ts[0] >= t0
        f = c.audio_dominant_frequency(skip=0.05)
        assert abs(f - 440.0) / 440.0 < 0.01, f
        assert c.audio_pcm().shape == (48000, 2)
    finally:
        c.close(), h.close()


def t_disable_sent():
    ah = AudioHost()
    h, c = session(ah)
    try:
        c.send_audio_option(disable=True)
        c.pump(0.3)
        assert ah.events == [("disable_audio", 2)], ah.events
        assert c.audio_frames == [] and c.audio_formats == []
    finally:
        c.close(), h.close()


def t_frames_before_format_and_bad_packets():
    enc = OpusEncoder()
    good = enc.encode(tone(1000, 0.02))
    ah = AudioHost(freq=1000.0, seconds=0.5,
                   before=(good, b"\xff" * 9, b"\x00" * (OPUS_MAX_PACKET + 1)))
    h, c = session(ah)
    try:
        c.send_audio_option(disable=False)
        c.wait_audio(3 + 25, timeout=10)
        errs = [f.error for f in c.audio_frames[:3]]
        assert errs == ["no format"] * 3, errs   # no decoder yet: not played
        assert all(f.error is None for f in c.audio_frames[3:])
        f = c.audio_dominant_frequency(skip=0.05)
        assert abs(f - 1000.0) / 1000.0 < 0.01, f
    finally:
        c.close(), h.close()


def t_garbage_after_format_skipped():
    ah = AudioHost(freq=1000.0, seconds=0.2)
    h, c = session(ah)
    try:
        c.send_audio_option(disable=False)
        c.wait_audio(10, timeout=10)
        hc_send = []

        def bad(host, hc, cid, m):
            hc_send.append(hc)
            return ah(host, hc, cid, m)
        # Straight to the connection: a packet libopus refuses, and one
        # over the size any Opus packet can have.
        h.on_message = bad
        c.send_audio_option(disable=True)
        c.pump(0.2)
        ah.send_frame(hc_send[0], b"\xff" * 9)
        ah.send_frame(hc_send[0], b"\x00" * (OPUS_MAX_PACKET + 1))
        c.wait_audio(12, timeout=5)
        assert c.audio_frames[-2].error.startswith("opus_decode_float")
        assert c.audio_frames[-1].error == "too large"
        assert c.audio_stats()["errors"] == 2
    finally:
        c.close(), h.close()


def t_format_change_new_decoder():
    ah = AudioHost(freq=440.0, seconds=0.4)
    h, c = session(ah)
    try:
        c.send_audio_option(disable=False)
        c.wait_audio(20, timeout=10)
        ah.rate, ah.channels, ah.freq = 24000, 1, 600.0
        c.send_audio_option(disable=False)
        c.wait_audio(40, timeout=10)
        assert [f[1:] for f in c.audio_formats] == [(48000, 2), (24000, 1)]
        since = c.audio_formats[-1].t
        pcm = c.audio_pcm(since=since)
        assert pcm.shape[1] == 1 and len(pcm) == 20 * 480, pcm.shape
        f = dominant_frequency(pcm[1200:], 24000)
        assert abs(f - 600.0) / 600.0 < 0.01, f
    finally:
        c.close(), h.close()


if __name__ == "__main__":
    sys.exit(selftest_runner.run(globals()))
