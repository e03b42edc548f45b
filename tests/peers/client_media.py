# SPDX-License-Identifier: MIT
"""Video and display-option helpers of the technician client (§7, §8,
§13.3): SupportedDecoding / OptionMessage builders, cursor decoding,
VP8/VP9 key-frame size parsing and an IVF reader/writer.  Module-level,
no Client state; re-exported by client.py."""
import collections
import struct

try:
    from .client_base import mpb
except ImportError:
    from client_base import mpb

VideoRecord = collections.namedtuple("VideoRecord", "t display codec frames")
VideoRecord.__doc__ = ("One received VideoFrame: t = time.monotonic() of arrival, "
                       "display = VideoFrame.display, codec = the oneof name "
                       "('vp9s', 'vp8s', 'av1s', 'h264s', 'h265s', 'rgb', 'yuv'), "
                       "frames = [(data, key, pts)] of its EncodedVideoFrames.")
CursorShape = collections.namedtuple("CursorShape", "t id hotx hoty width height rgba error")
CursorShape.__doc__ = ("A received CursorData: rgba = decompressed RGBA8 bytes "
                       "(None if it failed), error = why it failed (None if ok).")


def default_supported_decoding():
    """What a stock desktop client without hardware codecs advertises
    (scrap Decoder::supported_decodings): VP9, VP8, AV1 (software), i444 for
    VP9/AV1, prefer Auto, chroma I420."""
    d = mpb.SupportedDecoding(ability_vp9=1, ability_vp8=1, ability_av1=1)
    d.i444.vp9 = True
    d.i444.av1 = True
    return d


PREFER = {"auto": 0, "vp9": 1, "h264": 2, "h265": 3, "vp8": 4, "av1": 5}
IVF_FOURCC = {"vp9s": b"VP90", "vp8s": b"VP80", "av1s": b"AV01"}


def supported_decoding(vp9=True, vp8=True, av1=False, h264=False, h265=False,
                       prefer="Auto", i444=False, prefer_chroma="I420"):
    """A SupportedDecoding (§7.2) for LoginRequest.option / Misc.option:
    ability_* = 1 for each codec enabled, prefer = 'Auto'|'VP9'|'VP8'|'AV1'|
    'H264'|'H265' (or the enum int).  i444=True: i444.vp9 (and .av1 if av1)."""
    d = mpb.SupportedDecoding(ability_vp9=int(bool(vp9)), ability_vp8=int(bool(vp8)),
                              ability_av1=int(bool(av1)), ability_h264=int(bool(h264)),
                              ability_h265=int(bool(h265)))
    d.prefer = PREFER[prefer.lower()] if isinstance(prefer, str) else int(prefer)
    if i444:
        d.i444.vp9 = bool(vp9)
        d.i444.av1 = bool(av1)
    d.prefer_chroma = ({"i420": 0, "i444": 1}[prefer_chroma.lower()]
                       if isinstance(prefer_chroma, str) else int(prefer_chroma))
    return d


def option_message(**fields):
    """OptionMessage from keyword fields (§13.3): enums/BoolOptions as ints
    or names ('Yes', 'Balanced'), supported_decoding as a SupportedDecoding
    or a dict of supported_decoding() kwargs, e.g.
    option_message(custom_fps=15, show_remote_cursor=2,
                   supported_decoding=supported_decoding(prefer='VP8'))."""
    o = mpb.OptionMessage()
    for k, v in fields.items():
        if k == "supported_decoding":
            if isinstance(v, dict):
                v = supported_decoding(**v)
            o.supported_decoding.CopyFrom(v)
        else:
            fd = o.DESCRIPTOR.fields_by_name[k]
            if isinstance(v, str) and fd.enum_type is not None:
                v = fd.enum_type.values_by_name[v].number
            setattr(o, k, v)
    return o


def cursor_rgba(cd):
    """RGBA8 bytes of a CursorData: zstd-decompressed `colors`; ValueError
    if it does not decompress or is not width*height*4 bytes (§8)."""
    import zstandard
    want = int(cd.width) * int(cd.height) * 4
    if cd.width <= 0 or cd.height <= 0:
        raise ValueError(f"cursor size {cd.width}x{cd.height}")
    try:
        dobj = zstandard.ZstdDecompressor().decompressobj()
        out = dobj.decompress(bytes(cd.colors))
    except zstandard.ZstdError as e:
        raise ValueError(f"cursor colors: zstd: {e}") from None
    if len(out) != want:
        raise ValueError(f"cursor colors: {len(out)} bytes, want {want} "
                         f"({cd.width}x{cd.height}x4)")
    return out


class _Bits:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def get(self, n):
        v = 0
        for _ in range(n):
            byte = self.data[self.pos >> 3]
            v = (v << 1) | ((byte >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return v


def keyframe_size(codec, data):
    """(width, height) from a VP8 or VP9 key frame's header, or None."""
    data = bytes(data)
    try:
        if codec == "vp8s":
            if len(data) >= 10 and not (data[0] & 1) and data[3:6] == b"\x9d\x01\x2a":
                return (int.from_bytes(data[6:8], "little") & 0x3FFF,
                        int.from_bytes(data[8:10], "little") & 0x3FFF)
            return None
        if codec == "vp9s":
            b = _Bits(data)
            if b.get(2) != 2:                       # frame_marker
                return None
            profile = b.get(1) | (b.get(1) << 1)
            if profile == 3:
                b.get(1)
            if b.get(1):                            # show_existing_frame
                return None
            if b.get(1) != 0:                       # frame_type: 0 = key
                return None
            b.get(1)                                # show_frame
            b.get(1)                                # error_resilient_mode
            if b.get(24) != 0x498342:
                return None
            if profile >= 2:
                b.get(1)                            # ten_or_twelve_bit
            cs = b.get(3)
            if cs != 7:                             # not CS_RGB
                b.get(1)
                if profile in (1, 3):
                    b.get(3)
            elif profile in (1, 3):
                b.get(1)
            return b.get(16) + 1, b.get(16) + 1
    except IndexError:
        return None
    return None


def ivf_header(fourcc, width, height, nframes, rate=1000, scale=1):
    """32-byte IVF file header (timebase scale/rate)."""
    return struct.pack("<4sHH4sHHIIII", b"DKIF", 0, 32, fourcc, width, height,
                       rate, scale, nframes, 0)


def read_ivf(path):
    """(header dict, [(pts, data)]) of an IVF file."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 32 or raw[:4] != b"DKIF":
        raise ValueError(f"{path}: not an IVF file")
    sig, ver, hlen, fourcc, w, h, rate, scale, n, _ = struct.unpack("<4sHH4sHHIIII", raw[:32])
    hdr = {"version": ver, "header_size": hlen, "fourcc": fourcc.decode("latin-1"),
           "width": w, "height": h, "rate": rate, "scale": scale, "frames": n}
    out, pos = [], hlen
    while pos + 12 <= len(raw):
        size, pts = struct.unpack("<IQ", raw[pos:pos + 12])
        pos += 12
        if pos + size > len(raw):
            raise ValueError(f"{path}: truncated frame {len(out)}")
        out.append((pts, raw[pos:pos + size]))
        pos += size
    return hdr, out


def write_ivf_frames(path, fourcc, width, height, frames):
    """Writes [(pts, data)] as IVF (timebase 1/1000).  Returns the count."""
    if isinstance(fourcc, str):
        fourcc = fourcc.encode()
    with open(path, "wb") as f:
        f.write(ivf_header(fourcc, width, height, len(frames)))
        for pts, data in frames:
            f.write(struct.pack("<IQ", len(data), pts & 0xFFFFFFFFFFFFFFFF))
            f.write(data)
    return len(frames)
