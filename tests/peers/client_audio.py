# SPDX-License-Identifier: MIT
"""Audio of the technician client (§12): Misc.audio_format announces the
sample rate and channels, then every Message.audio_frame carries one Opus
packet.  As RustDesk's client (src/client.rs AudioHandler) does, a new
decoder is made for each AudioFormat, frames that come before any format
are not played, packets that do not decode are skipped, and a gap in the
stream is simply silence.  Decoding uses the system libopus through
ctypes (libopus0); OpusEncoder exists for the self-test's fake host.

    c.login(PASSWORD)
    c.wait_audio(50)                        # 50 AudioFrames (1 s at 20 ms)
    c.audio_formats[-1]                     # AudioFormatRecord(t, 48000, 2)
    c.audio_dominant_frequency()            # Hz, FFT of the decoded PCM
    c.audio_frames[0].t, .data, .samples    # arrival, packet, decoded count
    c.send_audio_option(disable=True)       # Misc.option disable_audio=Yes
"""
import collections
import ctypes
import ctypes.util
import time

import numpy as np

try:
    from .client_base import Message
except ImportError:
    from client_base import Message

# Opus' limits (RFC 6716): 120 ms per packet at most, 1275 bytes per frame.
OPUS_MAX_SAMPLES = 5760          # 120 ms at 48 kHz, per channel
OPUS_MAX_PACKET = 1275 * 3 + 7   # what a 60 ms multi-frame packet can take
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
OPUS_APPLICATION_RESTRICTED_LOWDELAY = 2051
BOOL_NO, BOOL_YES = 1, 2          # BoolOption

AudioFormatRecord = collections.namedtuple("AudioFormatRecord",
                                           "t sample_rate channels")
AudioFrameRecord = collections.namedtuple("AudioFrameRecord",
                                          "t data samples error")
AudioFrameRecord.__doc__ = (
    "One received AudioFrame: t = time.monotonic() of arrival, data = the "
    "Opus packet, samples = decoded samples per channel (0 when it was "
    "not decoded), error = None or why it was not decoded ('no format', "
    "'too large', or libopus' error code).")

_lib = None


def libopus():
    """The system libopus (ctypes), loaded once; OSError if missing."""
    global _lib
    if _lib is None:
        name = ctypes.util.find_library("opus") or "libopus.so.0"
        lib = ctypes.CDLL(name)
        lib.opus_decoder_create.restype = ctypes.c_void_p
        lib.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int,
                                            ctypes.POINTER(ctypes.c_int)]
        lib.opus_decode_float.restype = ctypes.c_int
        lib.opus_decode_float.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                          ctypes.c_int32,
                                          ctypes.POINTER(ctypes.c_float),
                                          ctypes.c_int, ctypes.c_int]
        lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
        lib.opus_encoder_create.restype = ctypes.c_void_p
        lib.opus_encoder_create.argtypes = [ctypes.c_int32, ctypes.c_int,
                                            ctypes.c_int,
                                            ctypes.POINTER(ctypes.c_int)]
        lib.opus_encode_float.restype = ctypes.c_int32
        lib.opus_encode_float.argtypes = [ctypes.c_void_p,
                                          ctypes.POINTER(ctypes.c_float),
                                          ctypes.c_int, ctypes.c_char_p,
                                          ctypes.c_int32]
        lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
        lib.opus_packet_get_nb_samples.restype = ctypes.c_int
        lib.opus_packet_get_nb_samples.argtypes = [ctypes.c_char_p,
                                                   ctypes.c_int32,
                                                   ctypes.c_int32]
        _lib = lib
    return _lib


class OpusDecoder:
    """decode(packet) -> float32 array (samples, channels); ValueError
    with libopus' code when the packet is invalid."""

    def __init__(self, sample_rate=48000, channels=2):
        if sample_rate not in OPUS_RATES or channels not in (1, 2):
            raise ValueError(f"unsupported format {sample_rate}/{channels}")
        self.lib = libopus()
        err = ctypes.c_int(0)
        self.st = self.lib.opus_decoder_create(sample_rate, channels,
                                               ctypes.byref(err))
        if not self.st or err.value != 0:
            raise ValueError(f"opus_decoder_create: {err.value}")
        self.rate, self.channels = sample_rate, channels
        self.buf = (ctypes.c_float * (OPUS_MAX_SAMPLES * channels))()

    def decode(self, packet):
        packet = bytes(packet)
        n = self.lib.opus_decode_float(self.st, packet, len(packet), self.buf,
                                       OPUS_MAX_SAMPLES, 0)
        if n < 0:
            raise ValueError(f"opus_decode_float: {n}")
        out = np.ctypeslib.as_array(self.buf)[:n * self.channels].copy()
        return out.reshape(n, self.channels)

    def samples_in(self, packet):
        """Samples per channel a packet holds (from its TOC), or < 0."""
        packet = bytes(packet)
        return self.lib.opus_packet_get_nb_samples(packet, len(packet),
                                                   self.rate)

    def close(self):
        if self.st:
            self.lib.opus_decoder_destroy(self.st)
            self.st = None

    def __del__(self):
        self.close()


class OpusEncoder:
    """The fake host's encoder: encode(pcm (n, channels) float) -> bytes;
    n must be an Opus frame size (480, 960, ... at 48 kHz)."""

    def __init__(self, sample_rate=48000, channels=2,
                 application=OPUS_APPLICATION_RESTRICTED_LOWDELAY):
        self.lib = libopus()
        err = ctypes.c_int(0)
        self.st = self.lib.opus_encoder_create(sample_rate, channels,
                                               application, ctypes.byref(err))
        if not self.st or err.value != 0:
            raise ValueError(f"opus_encoder_create: {err.value}")
        self.channels = channels
        self.out = ctypes.create_string_buffer(4000)

    def encode(self, pcm):
        a = np.ascontiguousarray(pcm, dtype=np.float32).reshape(-1)
        n = len(a) // self.channels
        ptr = a.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        r = self.lib.opus_encode_float(self.st, ptr, n, self.out, 4000)
        if r < 0:
            raise ValueError(f"opus_encode_float: {r}")
        return self.out.raw[:r]

    def close(self):
        if self.st:
            self.lib.opus_encoder_destroy(self.st)
            self.st = None

    def __del__(self):
        self.close()


def dominant_frequency(pcm, rate=48000):
    """Strongest frequency of (n,) or (n, ch) PCM: Hann window, real FFT,
    parabolic interpolation of the log magnitude around the peak."""
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
        den = a - 2 * b + c
        if den != 0:
            k = k + 0.5 * (a - c) / den
    return k * rate / len(x)


class AudioMixin:
    """Records what the host sends for audio and decodes it."""

    def _audio_init(self):
        self.audio_formats = []      # [AudioFormatRecord]
        self.audio_frames = []       # [AudioFrameRecord]
        self.audio_pcm_chunks = []   # [(t, float32 (n, ch))] decoded, in order
        self._audio_decoder = None

    def _on_audio_format(self, fmt):
        t = time.monotonic()
        self.audio_formats.append(AudioFormatRecord(t, fmt.sample_rate,
                                                    fmt.channels))
        if self._audio_decoder is not None:
            self._audio_decoder.close()
            self._audio_decoder = None
        try:
            self._audio_decoder = OpusDecoder(fmt.sample_rate,
                                              2 if fmt.channels > 1 else 1)
        except (ValueError, OSError):
            self._audio_decoder = None   # RustDesk logs and plays nothing

    def _on_audio_frame(self, frame):
        t = time.monotonic()
        data = bytes(frame.data)
        dec = self._audio_decoder
        if dec is None:
            self.audio_frames.append(AudioFrameRecord(t, data, 0, "no format"))
            return
        if len(data) > OPUS_MAX_PACKET:
            self.audio_frames.append(AudioFrameRecord(t, data, 0, "too large"))
            return
        try:
            pcm = dec.decode(data)
        except ValueError as e:
            self.audio_frames.append(AudioFrameRecord(t, data, 0, str(e)))
            return
        self.audio_frames.append(AudioFrameRecord(t, data, len(pcm), None))
        self.audio_pcm_chunks.append((t, pcm))

    # ------------------------------------------------------------- reading
    def wait_audio(self, n=1, timeout=None):
        """Reads until at least n AudioFrames have arrived (in total);
        returns the list.  TimeoutError / SessionClosed otherwise."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while len(self.audio_frames) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{len(self.audio_frames)} of {n} audio "
                                   f"frames within {timeout:.1f}s")
            self.wait_for("audio_frame", timeout=left)
        return self.audio_frames

    def audio_pcm(self, since=None, until=None):
        """Decoded PCM of the frames that arrived in [since, until), as one
        float32 (n, channels) array (gaps are not filled)."""
        parts = [p for t, p in self.audio_pcm_chunks
                 if (since is None or t >= since) and (until is None or t < until)]
        if not parts:
            ch = self._audio_decoder.channels if self._audio_decoder else 2
            return np.zeros((0, ch), dtype=np.float32)
        return np.concatenate(parts)

    def audio_dominant_frequency(self, since=None, until=None, skip=0):
        """The strongest frequency (Hz) of the decoded audio in [since,
        until), after skipping `skip` seconds of its start (the codec's
        onset)."""
        rate = self.audio_formats[-1].sample_rate if self.audio_formats else 48000
        pcm = self.audio_pcm(since, until)[int(skip * rate):]
        return dominant_frequency(pcm, rate)

    def audio_stats(self):
        """Counters: frames, decoded, errors, bytes, seconds (decoded
        audio), formats."""
        dec = [f for f in self.audio_frames if f.error is None]
        rate = self.audio_formats[-1].sample_rate if self.audio_formats else 48000
        return {"frames": len(self.audio_frames), "decoded": len(dec),
                "errors": len(self.audio_frames) - len(dec),
                "bytes": sum(len(f.data) for f in self.audio_frames),
                "seconds": sum(f.samples for f in dec) / rate,
                "formats": len(self.audio_formats)}

    # ------------------------------------------------------------- sending
    def send_audio_option(self, disable=True):
        """Misc.option with disable_audio = Yes (disable) or No: the
        client's audio toggle (§13.3)."""
        m = Message()
        m.misc.option.disable_audio = BOOL_YES if disable else BOOL_NO
        return self.send_message(m)


__all__ = ["AudioFormatRecord", "AudioFrameRecord", "AudioMixin",
           "OpusDecoder", "OpusEncoder", "dominant_frequency", "libopus",
           "OPUS_MAX_PACKET", "OPUS_MAX_SAMPLES"]
