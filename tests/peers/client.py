# SPDX-License-Identifier: MIT
"""The technician's RustDesk client after the pipe exists: the secure
channel (protocol reference §5), login (§6), TestDelay/PermissionInfo/
close-reason handling (§13), plus deliberately misbehaving variants for
hostile tests.  Written from /work/shared/protocol/rustdesk-protocol.md and
rustdesk/rustdesk src/client.rs (secure_connection, create_login_msg,
get_option_message, handle_hash, handle_login_from_ui, handle_test_delay);
it never reads or imports the agent's C code.  Video (§7), cursor (§8)
and display/option control (§13.3/13.4): VideoFrames are collected per
display (video_frames(), video_stats(), write_ivf()), optionally acked
with Misc.video_received, cursor shapes are zstd-decoded (cursor_rgba()).
Input (§9): key events in Map/Translate/Legacy mode (key_map, type_text,
...), mouse moves/clicks/drags/wheel with the §9.1 masks, flood_input();
clipboard (§10): send_clipboard() (MultiClipboards or Clipboard, zstd),
hostile send_clipboard_raw(), received entries in clipboards_received.

    import initiator, client
    res = initiator.connect(rs.addr, rs.licence_key, AGENT_ID, "punch")
    c = client.Client(res)                      # host_pk/target_id from res
    c.handshake()                               # SignedId -> PublicKey -> secretbox
    out = c.login("password")                   # str error or PeerInfo
    c.close()

Direct IP (§4.8, plaintext):  c = client.Client(("127.0.0.1", port), direct=True)

CLI (prints one JSON line):
  /usr/bin/python3 tests/peers/client.py --direct 127.0.0.1:PORT --id ID --password PW
      [--kind desktop|file-transfer|terminal|port-forward|rdp|view-camera]
  /usr/bin/python3 tests/peers/client.py --rendezvous 127.0.0.1:N --key K --id ID
      --mode punch|local|relay|client-relay --password PW
  add --misbehave NAME (see MISBEHAVIOURS) to run one hostile scenario instead.
"""
import argparse
import bisect
import collections
import hashlib
import json
import os
import select
import socket
import sys
import struct
import time

import nacl.exceptions
import nacl.public
import nacl.secret

try:
    from . import rdproto as rp
    from . import initiator
except ImportError:
    import rdproto as rp
    import initiator

mpb = rp.mpb
Message = mpb.Message
PERMISSION_NAMES = {v: k for k, v in mpb.PermissionInfo.Permission.items()}
KINDS = ("desktop", "file-transfer", "port-forward", "rdp", "terminal", "view-camera")
CONN_TYPE = {"desktop": 0, "file-transfer": 1, "port-forward": 2, "rdp": 3,
             "view-camera": 4, "terminal": 5}
ZERO_NONCE = bytes(24)
DEFAULT_TIMEOUT = 10.0

Record = collections.namedtuple("Record", "t kind msg")
Record.__doc__ = ("One received frame: t = time.monotonic(), kind = Message oneof "
                  "name ('misc.<variant>' for Misc, 'empty' for no oneof, "
                  "'unparsable' (msg = raw bytes)), msg = the protobuf sub-message.")
VideoRecord = collections.namedtuple("VideoRecord", "t display codec frames")
VideoRecord.__doc__ = ("One received VideoFrame: t = time.monotonic() of arrival, "
                       "display = VideoFrame.display, codec = the oneof name "
                       "('vp9s', 'vp8s', 'av1s', 'h264s', 'h265s', 'rgb', 'yuv'), "
                       "frames = [(data, key, pts)] of its EncodedVideoFrames.")
CursorShape = collections.namedtuple("CursorShape", "t id hotx hoty width height rgba error")
CursorShape.__doc__ = ("A received CursorData: rgba = decompressed RGBA8 bytes "
                       "(None if it failed), error = why it failed (None if ok).")
Sent = collections.namedtuple("Sent", "t kind msg wire encrypted seq")
Sent.__doc__ = ("One frame we wrote: wire = exact bytes on the socket (header "
                "included), encrypted = sealed with the session key, seq = nonce "
                "counter used (None if plaintext).")


class ClientError(Exception):
    """Base class."""


class HandshakeError(ClientError):
    """SignedId missing/unverifiable, wrong IdPk.id, no host pk, ..."""


class SignatureError(HandshakeError):
    """SignedId does not verify with host_pk (stock: 'pk mismatch')."""


class ChannelError(ClientError):
    """A received frame failed to decrypt (or similar channel breakage)."""


class SessionClosed(ClientError):
    """The host closed the connection (or a send hit a dead socket).
    close_reason / message_boxes / login_error: what it said before."""

    def __init__(self, text, client=None):
        super().__init__(text)
        self.close_reason = getattr(client, "close_reason", None)
        self.message_boxes = list(getattr(client, "message_boxes", []))
        self.login_error = getattr(client, "login_error", None)


def norm_kind(kind):
    k = (kind or "desktop").replace("_", "-")
    if k not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    return k


def h1_of(password, salt):
    """SHA-256(password ‖ salt): what clients store as 'remembered password'."""
    return hashlib.sha256(password.encode() + salt.encode()).digest()


def password_proof(h1, challenge):
    """§6.3: SHA-256(h1 ‖ challenge), raw 32 bytes."""
    return hashlib.sha256(bytes(h1) + challenge.encode()).digest()


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


# ------------------------------------------------ input and clipboard (§9, §10)
# ControlKey values as listed in the protocol reference (§9.2 table and
# Appendix B); names as in message.proto.
CONTROL_KEYS = {
    "Unknown": 0, "Alt": 1, "Backspace": 2, "CapsLock": 3, "Control": 4,
    "Delete": 5, "DownArrow": 6, "End": 7, "Escape": 8, "F1": 9, "F10": 10,
    "F11": 11, "F12": 12, "F2": 13, "F3": 14, "F4": 15, "F5": 16, "F6": 17,
    "F7": 18, "F8": 19, "F9": 20, "Home": 21, "LeftArrow": 22, "Meta": 23,
    "Option": 24, "PageDown": 25, "PageUp": 26, "Return": 27,
    "RightArrow": 28, "Shift": 29, "Space": 30, "Tab": 31, "UpArrow": 32,
    "Numpad0": 33, "Numpad1": 34, "Numpad2": 35, "Numpad3": 36,
    "Numpad4": 37, "Numpad5": 38, "Numpad6": 39, "Numpad7": 40,
    "Numpad8": 41, "Numpad9": 42, "Cancel": 43, "Clear": 44, "Menu": 45,
    "Pause": 46, "Kana": 47, "Hangul": 48, "Junja": 49, "Final": 50,
    "Hanja": 51, "Kanji": 52, "Convert": 53, "Select": 54, "Print": 55,
    "Execute": 56, "Snapshot": 57, "Insert": 58, "Help": 59, "Sleep": 60,
    "Separator": 61, "Scroll": 62, "NumLock": 63, "RWin": 64, "Apps": 65,
    "Multiply": 66, "Add": 67, "Subtract": 68, "Decimal": 69, "Divide": 70,
    "Equals": 71, "NumpadEnter": 72, "RShift": 73, "RControl": 74,
    "RAlt": 75, "VolumeMute": 76, "VolumeUp": 77, "VolumeDown": 78,
    "Power": 79, "CtrlAltDel": 100, "LockScreen": 101,
}
CONTROL_KEY_NAMES = {v: k for k, v in CONTROL_KEYS.items()}
KEYBOARD_MODES = {"legacy": 0, "map": 1, "translate": 2, "auto": 3}

# MouseEvent.mask = (buttons << 3) | type (§9.1).
MOUSE_MOVE, MOUSE_DOWN, MOUSE_UP, MOUSE_WHEEL, MOUSE_TRACKPAD, \
    MOUSE_MOVE_RELATIVE = range(6)
MOUSE_BUTTONS = {"left": 0x01, "right": 0x02, "middle": 0x04, "wheel": 0x04,
                 "back": 0x08, "forward": 0x10}
# The X button each wire button becomes on a Linux host (§9.1).
X_BUTTONS = {"left": 1, "middle": 2, "right": 3, "back": 8, "forward": 9}

# X keycodes (evdev code + 8) of a US pc105 layout: what a client sends in
# Map mode to a "Linux" host (§9.2, §17 item 21).
X_KEYCODES = {
    "Escape": 9, "BackSpace": 22, "Tab": 23, "Return": 36, "Control_L": 37,
    "Shift_L": 50, "Shift_R": 62, "KP_Multiply": 63, "Alt_L": 64,
    "space": 65, "Caps_Lock": 66, "F1": 67, "F2": 68, "F3": 69, "F4": 70,
    "F5": 71, "F6": 72, "F7": 73, "F8": 74, "F9": 75, "F10": 76,
    "Num_Lock": 77, "F11": 95, "F12": 96, "Control_R": 105, "Alt_R": 108,
    "Home": 110, "Up": 111, "Prior": 112, "Left": 113, "Right": 114,
    "End": 115, "Down": 116, "Next": 117, "Insert": 118, "Delete": 119,
    "Super_L": 133, "Super_R": 134,
}
_US_KEYS = [(49, "`~"), (10, "1!"), (11, "2@"), (12, "3#"), (13, "4$"),
            (14, "5%"), (15, "6^"), (16, "7&"), (17, "8*"), (18, "9("),
            (19, "0)"), (20, "-_"), (21, "=+"), (34, "[{"), (35, "]}"),
            (51, "\\|"), (47, ";:"), (48, "'\""), (59, ",<"), (60, ".>"),
            (61, "/?")]
_US_KEYS += [(24 + i, c + c.upper()) for i, c in enumerate("qwertyuiop")]
_US_KEYS += [(38 + i, c + c.upper()) for i, c in enumerate("asdfghjkl")]
_US_KEYS += [(52 + i, c + c.upper()) for i, c in enumerate("zxcvbnm")]
# character -> (X keycode, needs Shift) on a US layout
US_KEYMAP = {" ": (65, False), "\t": (23, False), "\n": (36, False),
             "\r": (36, False)}
for _kc, _pair in _US_KEYS:
    US_KEYMAP[_pair[0]] = (_kc, False)
    US_KEYMAP[_pair[1]] = (_kc, True)
del _kc, _pair

CLIPBOARD_FORMATS = {"text": 0, "rtf": 1, "html": 2, "rgba": 21,
                     "imagergba": 21, "png": 22, "imagepng": 22, "svg": 23,
                     "imagesvg": 23, "special": 31}
CLIPBOARD_FORMAT_NAMES = {0: "Text", 1: "Rtf", 2: "Html", 21: "ImageRgba",
                          22: "ImagePng", 23: "ImageSvg", 31: "Special"}

ClipboardRecord = collections.namedtuple("ClipboardRecord",
                                         "t fmt data compressed multi")
ClipboardRecord.__doc__ = (
    "One received clipboard entry: t = time.monotonic() of arrival, fmt = "
    "ClipboardFormat int (0 Text, 22 ImagePng, 31 Special, ...), data = the "
    "content, zstd-decompressed if compressed (None if that failed), "
    "compressed = the entry's compress flag, multi = it came in a "
    "MultiClipboards (all entries of one message share t).")


def control_key(v):
    """ControlKey value of a name ('Shift', 'CapsLock') or an int."""
    if isinstance(v, str):
        return CONTROL_KEYS[v]
    return int(v)


def keyboard_mode(v):
    return KEYBOARD_MODES[v.lower()] if isinstance(v, str) else int(v)


def key_msg(mode="map", down=False, press=False, control_key_=None, chr_=None,
            unicode_=None, seq=None, modifiers=()):
    """Message{key_event} (§9.2): mode 'legacy'|'map'|'translate'|'auto' (or
    the int), one of control_key_ (name or value) / chr_ / unicode_ / seq,
    modifiers = ControlKey names or values (CapsLock/NumLock = lock
    states)."""
    m = Message()
    ke = m.key_event
    ke.down, ke.press = bool(down), bool(press)
    if control_key_ is not None:
        ke.control_key = control_key(control_key_)
    elif chr_ is not None:
        ke.chr = chr_ if isinstance(chr_, int) else ord(chr_)
    elif unicode_ is not None:
        ke.unicode = unicode_ if isinstance(unicode_, int) else ord(unicode_)
    elif seq is not None:
        ke.seq = seq
    ke.modifiers.extend(control_key(x) for x in modifiers)
    ke.mode = keyboard_mode(mode)
    return m


def mouse_mask(kind, button=None):
    """(buttons << 3) | type; kind = MOUSE_* or 'move'|'down'|'up'|'wheel'|
    'trackpad'|'move_relative'; button = a MOUSE_BUTTONS name or bit
    value."""
    if isinstance(kind, str):
        kind = {"move": 0, "down": 1, "up": 2, "wheel": 3, "trackpad": 4,
                "move_relative": 5}[kind]
    b = 0
    if button is not None:
        b = MOUSE_BUTTONS[button] if isinstance(button, str) else int(button)
    return (b << 3) | int(kind)


def mouse_msg(mask, x=0, y=0, modifiers=()):
    """Message{mouse_event} (x/y are sint32 on the wire)."""
    m = Message()
    m.mouse_event.mask, m.mouse_event.x, m.mouse_event.y = int(mask), int(x), int(y)
    m.mouse_event.modifiers.extend(control_key(v) for v in modifiers)
    return m


def clipboard_format(fmt):
    if isinstance(fmt, str):
        return CLIPBOARD_FORMATS[fmt.lower()]
    return int(fmt)


def png_size(data):
    """(width, height) from a PNG's IHDR, or (0, 0)."""
    data = bytes(data)
    if len(data) >= 24 and data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return 0, 0


def build_clipboard(data, compress=None, fmt="text", width=None, height=None,
                    special_name=""):
    """A Clipboard (§10): str data is UTF-8 encoded; compress=None zstd
    level 3 only if smaller (never for ImagePng, as the reference says),
    True always, False never.  width/height default to the PNG's size for
    ImagePng, else 0."""
    import zstandard
    f = clipboard_format(fmt)
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    content, comp = raw, False
    if compress is None and f != 22 or compress:
        z = zstandard.ZstdCompressor(level=3).compress(raw)
        if compress or len(z) < len(raw):
            content, comp = z, True
    if f == 22 and (width is None or height is None):
        pw, ph = png_size(raw)
        width = pw if width is None else width
        height = ph if height is None else height
    cb = mpb.Clipboard(compress=comp, content=content, width=int(width or 0),
                       height=int(height or 0), format=f)
    if special_name:
        cb.special_name = special_name
    return cb


def clipboard_msg(entries, multi=True):
    """Message{multi_clipboards{entries}} or (multi=False) Message{clipboard}
    of the first entry; entries: a Clipboard or a list of them."""
    if isinstance(entries, mpb.Clipboard):
        entries = [entries]
    m = Message()
    if multi:
        m.multi_clipboards.clipboards.extend(entries)
    else:
        m.clipboard.CopyFrom(entries[0])
    return m


def zstd_bomb(size, content_size=True):
    """A small zstd frame that expands to `size` zero bytes.
    content_size=False leaves the size out of the frame header, so only a
    bounded streaming decompressor notices."""
    import zstandard
    cctx = zstandard.ZstdCompressor(level=19, write_content_size=content_size)
    if content_size:
        return cctx.compress(bytes(size))
    cobj = cctx.compressobj()
    chunk = bytes(1 << 20)
    out = []
    left = size
    while left > 0:
        n = min(left, len(chunk))
        out.append(cobj.compress(chunk[:n]))
        left -= n
    out.append(cobj.flush())
    return b"".join(out)


def zstd_decompress(data, limit=1 << 28):
    """Streaming zstd decompression bounded by `limit` bytes (ValueError
    beyond it or on a bad frame)."""
    import zstandard
    dobj = zstandard.ZstdDecompressor().decompressobj()
    try:
        out = dobj.decompress(bytes(data))
    except zstandard.ZstdError as e:
        raise ValueError(f"zstd: {e}") from None
    if len(out) > limit:
        raise ValueError(f"zstd: {len(out)} bytes exceed {limit}")
    return out


def msg_kind(m):
    k = m.WhichOneof("union")
    if k is None:
        return "empty"
    if k == "misc":
        sub = m.misc.WhichOneof("union")
        return f"misc.{sub}" if sub else "misc"
    return k


def _to_dict(m):
    from google.protobuf import json_format
    return json_format.MessageToDict(m, preserving_proto_field_name=True)


class Client:
    """A stock-like controlling client on one connection.  Blocking, not
    thread-safe (use one Client per thread).

    conn: initiator.Result (sock, leftover, host_pk, target_id and mode are
    taken from it), a connected socket, or an address ((host, port) or
    'host:port') to dial.  host_pk: the host's Ed25519 pk (32 bytes) learnt
    from hbbs' signed IdPk; target_id: the dialed ID (IdPk.id must match);
    direct=True: direct-IP access, no handshake, plaintext, username = the
    address string (override with username=).

    Video: auto_ack=None acks every VideoFrame with Misc.video_received
    when the last LoginRequest had video_ack_required=True; True/False
    forces it on/off.  ack_delay: seconds between a frame's arrival and its
    ack (acks are queued and sent while reading, as a slow decoder would).
    keep_video=False keeps only counters, not frame data."""

    def __init__(self, conn, host_pk=None, target_id=None, direct=None, *, kind="desktop",
                 username=None, my_id="100200300", my_name="Outpost Tester",
                 version="1.4.9", my_platform="Linux", session_id=None, file_dir="",
                 show_hidden=False, forward_host="", forward_port=0, service_id="",
                 option="default", echo_test_delay=True, timeout=DEFAULT_TIMEOUT,
                 connect_timeout=5.0, max_frame=rp.DEFAULT_MAX_FRAME, auto_ack=None,
                 ack_delay=0.0, keep_video=True):
        self.result = None
        leftover = b""
        addr_str = None
        if isinstance(conn, initiator.Result):
            self.result = conn
            sock, leftover = conn.sock, conn.leftover
            host_pk = conn.host_pk if host_pk is None else host_pk
            target_id = conn.target_id if target_id is None else target_id
            if direct is None:
                direct = conn.mode == "direct"
            if conn.peer_addr:
                addr_str = f"{conn.peer_addr[0]}:{conn.peer_addr[1]}"
        elif isinstance(conn, socket.socket):
            sock = conn
            try:
                pa = sock.getpeername()
                if isinstance(pa, tuple):
                    addr_str = f"{pa[0]}:{pa[1]}"
            except OSError:
                pass
        else:
            if isinstance(conn, str):
                addr_str = conn
                conn = rp.split_host_port(conn, initiator.DIRECT_PORT)
            else:
                addr_str = f"{conn[0]}:{conn[1]}"
            sock = socket.create_connection((conn[0], int(conn[1])), timeout=connect_timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(timeout)        # bounds sendall(); reads use select()
        self.sock = sock
        self.direct = bool(direct)
        self.host_pk = bytes(host_pk) if host_pk is not None else None
        self.target_id = target_id or ""
        self.kind = norm_kind(kind)
        self.username = username if username is not None else (
            addr_str if self.direct and addr_str else self.target_id)
        self.my_id, self.my_name, self.version = my_id, my_name, version
        self.my_platform = my_platform
        self.session_id = session_id if session_id is not None else (
            int.from_bytes(os.urandom(8), "little") or 1)
        self.file_dir, self.show_hidden = file_dir, show_hidden
        self.forward_host, self.forward_port = forward_host, forward_port
        self.service_id = service_id
        self.option = option
        self.echo_test_delay = echo_test_delay
        self.timeout = timeout
        self.t0 = time.monotonic()

        self.dec = rp.FrameDecoder(max_frame)
        self.pending = collections.deque(self.dec.feed(leftover))
        self.codec = None               # rp.SecretBoxCodec once the key is set
        self.session_key = None
        self.channel = "plaintext-direct" if self.direct else None
        self.signed_id_raw = None
        self.host_id = None             # IdPk.id inside SignedId
        self.host_box_pk = None         # host's ephemeral Curve25519 pk
        self.box_keypair = None         # our ephemeral nacl PrivateKey
        self.hash = None
        self.received = []              # [Record]
        self.sent = []                  # [Sent]
        self.login_requests = []        # LoginRequest messages sent
        self.login_responses = []       # LoginResponse messages received
        self.login_error = None         # last LoginResponse.error
        self.peer_info = None           # LoginResponse.peer_info (success)
        self.peer_infos = []            # standalone PeerInfo messages after login
        self.permissions = {}           # 'Keyboard' -> bool, from PermissionInfo
        self.close_reason = None        # Misc.close_reason from the host
        self.message_boxes = []         # MessageBox messages
        self.test_delays = 0            # host TestDelays seen
        self.test_delays_echoed = 0
        self.unparsable = 0
        self.closed = False             # EOF / reset seen
        self.eof_time = None            # time.monotonic() of EOF
        self.eof_reason = None          # 'eof' | 'reset' | 'send: <error>'
        # video / cursor (§7, §8)
        self.auto_ack = auto_ack
        self.ack_delay = float(ack_delay)
        self.keep_video = keep_video
        self.video = []                 # [VideoRecord], all displays, arrival order
        self.video_counts = {}          # display -> counters (video_stats())
        self.acks_sent = 0
        self._acks_due = []             # sorted monotonic times of queued acks
        self.cursors = {}               # CursorData.id -> CursorShape (latest)
        self.cursor_shapes = []         # [CursorShape] in arrival order
        self.cursor_ids = []            # [(t, id)] from Message.cursor_id
        self.cursor_positions = []      # [(t, x, y)]
        self.switch_displays = []       # [(t, SwitchDisplay)] from the host
        # clipboard (§10)
        self.clipboards_received = []   # [ClipboardRecord]
        self.clipboard_errors = []      # [(t, why)] entries that did not decompress

    # ------------------------------------------------------------ basics
    @classmethod
    def via_rendezvous(cls, rendezvous, key, target_id, mode="punch", *, connect_kw=None,
                       **kw):
        """initiator.connect(...) then Client(result, **kw).  conn_type is
        derived from kind= unless connect_kw sets it."""
        ck = dict(connect_kw or {})
        ck.setdefault("conn_type", CONN_TYPE[norm_kind(kw.get("kind", "desktop"))])
        res = initiator.connect(rendezvous, key, target_id, mode, **ck)
        return cls(res, **kw)

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None
        if self.result is not None:
            self.result.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def encrypted(self):
        return self.codec is not None

    def elapsed(self):
        return time.monotonic() - self.t0

    def _mark_closed(self, reason):
        if not self.closed:
            self.closed = True
            self.eof_time = time.monotonic()
            self.eof_reason = reason

    def _read_more(self, timeout):
        """Waits up to timeout for bytes; feeds the decoder.  False on timeout."""
        if self.closed or self.sock is None:
            return False
        r, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        if not r:
            return False
        try:
            data = self.sock.recv(262144)
        except ConnectionResetError:
            self._mark_closed("reset")
            return True
        except OSError as e:
            self._mark_closed(f"error: {e}")
            return True
        if not data:
            self._mark_closed("eof")
            return True
        self.pending.extend(self.dec.feed(data))
        return True

    # --------------------------------------------------------- receiving
    def recv_frame(self, timeout=None):
        """Next payload, decrypted if a key is set (payloads of ≤ 1 byte pass
        through undecrypted, §5.4).  None on EOF; TimeoutError if nothing
        complete arrives; ChannelError if decryption fails."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while not self.pending:
            if self.closed:
                return None
            if self._acks_due:
                self.flush_acks()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no frame within {timeout:.1f}s")
            if self._acks_due:
                left = min(left, max(0.0, self._acks_due[0] - time.monotonic()))
            self._read_more(left)
        p = self.pending.popleft()
        if self.codec is None:
            return p
        try:
            return self.codec.open(p)
        except rp.ProtoError as e:
            self.received.append(Record(time.monotonic(), "decrypt_error", p))
            raise ChannelError(f"{e} (recv_seq {self.codec.recv_seq}, {len(p)} bytes)") from None

    def recv_message(self, timeout=None, handle=True):
        """Next Message (recorded in .received).  None on EOF; TimeoutError.
        Unparsable payloads are recorded ('unparsable') and skipped, as the
        stock client does.  handle=True: echo TestDelay{from_client:false}
        (if echo_test_delay), note PermissionInfo, close_reason, MessageBox,
        Hash, LoginResponse, PeerInfo."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            p = self.recv_frame(max(0.0, deadline - time.monotonic()))
            if p is None:
                return None
            m = Message()
            try:
                used = m.ParseFromString(p)
                if used is not None and used != len(p):
                    raise ValueError("short parse")
            except Exception:
                self.unparsable += 1
                self.received.append(Record(time.monotonic(), "unparsable", p))
                continue
            kind = msg_kind(m)
            sub = getattr(m, m.WhichOneof("union")) if kind != "empty" else m
            self.received.append(Record(time.monotonic(), kind, sub))
            if handle:
                self._handle(kind, m)
            return m

    def _handle(self, kind, m):
        if kind == "test_delay":
            self.test_delays += 1
            if self.echo_test_delay and not m.test_delay.from_client:
                try:
                    self.send_message(m)        # echoed unchanged
                    self.test_delays_echoed += 1
                except SessionClosed:
                    pass
        elif kind == "misc.permission_info":
            pi = m.misc.permission_info
            self.permissions[PERMISSION_NAMES.get(pi.permission, pi.permission)] = pi.enabled
        elif kind == "misc.close_reason":
            self.close_reason = m.misc.close_reason
        elif kind == "message_box":
            self.message_boxes.append(m.message_box)
        elif kind == "hash":
            self.hash = m.hash
        elif kind == "login_response":
            self.login_responses.append(m.login_response)
            if m.login_response.WhichOneof("union") == "error":
                self.login_error = m.login_response.error
            elif m.login_response.WhichOneof("union") == "peer_info":
                self.peer_info = m.login_response.peer_info
        elif kind == "peer_info":
            self.peer_infos.append(m.peer_info)
        elif kind == "video_frame":
            self._on_video(m.video_frame)
        elif kind == "cursor_data":
            self._on_cursor_data(m.cursor_data)
        elif kind == "cursor_id":
            self.cursor_ids.append((time.monotonic(), m.cursor_id))
        elif kind == "cursor_position":
            self.cursor_positions.append((time.monotonic(), m.cursor_position.x,
                                          m.cursor_position.y))
        elif kind == "clipboard":
            self._on_clipboard([m.clipboard], False)
        elif kind == "multi_clipboards":
            self._on_clipboard(list(m.multi_clipboards.clipboards), True)
        elif kind == "misc.switch_display":
            sd = mpb.SwitchDisplay()
            sd.CopyFrom(m.misc.switch_display)
            self.switch_displays.append((time.monotonic(), sd))

    def wait_for(self, kind, timeout=None):
        """Reads (and handles) messages until one of `kind` (a name or a
        tuple of names, as in Record.kind) arrives; returns that Message.
        Raises SessionClosed on EOF, TimeoutError."""
        kinds = (kind,) if isinstance(kind, str) else tuple(kind)
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {kinds} within {timeout:.1f}s")
            m = self.recv_message(left)
            if m is None:
                raise SessionClosed(f"connection closed while waiting for {kinds}"
                                    + (f" (close_reason {self.close_reason!r})"
                                       if self.close_reason else ""), self)
            if msg_kind(m) in kinds:
                return m

    def pump(self, duration):
        """Reads and handles everything for `duration` seconds (keeps the
        TestDelay echo going).  Returns False if the connection closed."""
        deadline = time.monotonic() + duration
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return not self.closed
            try:
                if self.recv_message(left) is None:
                    return False
            except TimeoutError:
                return not self.closed

    def wait_closed(self, timeout=None, echo=None):
        """Reads (recording everything) until EOF.  Returns seconds from
        this call to EOF, or None if still open after timeout.  Decryption
        errors are recorded and reading continues at the raw level."""
        timeout = self.timeout if timeout is None else timeout
        start = time.monotonic()
        deadline = start + timeout
        saved = self.echo_test_delay
        if echo is not None:
            self.echo_test_delay = echo
        try:
            while not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                try:
                    self.recv_message(left)
                except TimeoutError:
                    return None
                except ChannelError:
                    continue
        finally:
            self.echo_test_delay = saved
        return max(0.0, self.eof_time - start)

    def messages(self, kind=None):
        """Received sub-messages of one kind (all Records if kind is None).
        kind='misc' returns every Misc (whatever its variant);
        'misc.<variant>' only that variant's content."""
        if kind is None:
            return list(self.received)
        if kind == "misc":
            return [r.msg for r in self.received
                    if r.kind == "misc" or r.kind.startswith("misc.")]
        return [r.msg for r in self.received if r.kind == kind]

    # ----------------------------------------------------------- sending
    def _write(self, wire, kind, msg, encrypted, seq):
        if self.sock is None:
            raise SessionClosed("client socket already closed", self)
        try:
            self.sock.sendall(wire)
        except socket.timeout:
            raise ClientError(f"send of {len(wire)} bytes timed out (host not reading)") from None
        except OSError as e:
            self._mark_closed(f"send: {e}")
            raise SessionClosed(f"send failed: {e}", self) from None
        self.sent.append(Sent(time.monotonic(), kind, msg, wire, encrypted, seq))
        return wire

    def send_payload(self, payload, kind="payload", msg=None, encrypt=None):
        """Frames (and, if a key is set and encrypt is not False, seals with
        the next nonce) one payload.  Returns the wire bytes."""
        payload = bytes(payload)
        seq = None
        enc = self.codec is not None and encrypt is not False
        if enc:
            payload = self.codec.seal(payload)
            seq = self.codec.send_seq
        return self._write(rp.encode_frame(payload), kind, msg, enc, seq)

    def send_message(self, msg, encrypt=None):
        """Sends a Message (encrypted once the key is set)."""
        return self.send_payload(msg.SerializeToString(), msg_kind(msg), msg, encrypt)

    def send_raw(self, data, kind="raw"):
        """Writes bytes as they are (no framing, no encryption)."""
        return self._write(bytes(data), kind, None, False, None)

    def send_close_reason(self, text="Closed manually by the peer"):
        m = Message()
        m.misc.close_reason = text
        return self.send_message(m)

    # ---------------------------------------------------------- handshake
    def read_signed_id(self, timeout=None, verify=True, first_message=None):
        """Reads the host's first frame, which must be Message{signed_id}
        (first_message: a Message already read, e.g. by
        initiator.read_first_message).  verify=True: open it with host_pk,
        require IdPk.id == target_id and a 32-byte box pk (HandshakeError
        otherwise).  Returns (id, box_pk) (unverified contents if
        verify=False and the pk is unknown)."""
        if first_message is not None:
            m = first_message
            self.received.append(Record(time.monotonic(), msg_kind(m), getattr(
                m, m.WhichOneof("union")) if m.WhichOneof("union") else m))
        else:
            m = self.recv_message(timeout)
        if m is None:
            raise SessionClosed("connection closed before SignedId", self)
        if m.WhichOneof("union") != "signed_id":
            raise HandshakeError(f"expected signed_id, got {msg_kind(m)}")
        self.signed_id_raw = bytes(m.signed_id.id)
        if not verify:
            if self.host_pk is not None:
                try:
                    self.host_id, self.host_box_pk = rp.open_id_pk(self.signed_id_raw,
                                                                   self.host_pk)
                except rp.ProtoError:
                    pass
            if self.host_box_pk is None and len(self.signed_id_raw) > 64:
                idpk = mpb.IdPk()
                try:
                    idpk.ParseFromString(self.signed_id_raw[64:])
                    self.host_id, self.host_box_pk = idpk.id, bytes(idpk.pk)
                except Exception:
                    pass
            return self.host_id, self.host_box_pk
        if self.host_pk is None:
            raise HandshakeError("no verified host pk to check SignedId with")
        try:
            id_, pk = rp.open_id_pk(self.signed_id_raw, self.host_pk)
        except rp.ProtoError as e:
            raise SignatureError(f"SignedId does not verify: {e}") from None
        if id_ != self.target_id:
            raise HandshakeError(f"SignedId IdPk.id {id_!r} != target {self.target_id!r}")
        if len(pk) != 32:
            raise HandshakeError(f"SignedId box pk has {len(pk)} bytes")
        self.host_id, self.host_box_pk = id_, pk
        return id_, pk

    def make_public_key(self, host_box_pk=None, key=None):
        """(PublicKey message, session key): a fresh Curve25519 keypair and
        crypto_box(key, 24 zero bytes, host_box_pk, our sk) (§5.3 step 3)."""
        host_box_pk = self.host_box_pk if host_box_pk is None else host_box_pk
        key = nacl.secret.random(32) if key is None else bytes(key)
        self.box_keypair = nacl.public.PrivateKey.generate()
        sealed = nacl.public.Box(self.box_keypair, nacl.public.PublicKey(bytes(host_box_pk))) \
            .encrypt(key, ZERO_NONCE).ciphertext
        pk = mpb.PublicKey(asymmetric_value=bytes(self.box_keypair.public_key),
                           symmetric_value=sealed)
        return pk, key

    def set_key(self, key):
        """Switches both directions to secretbox framing (counters at 0,
        first nonce 1)."""
        self.session_key = bytes(key)
        self.codec = rp.SecretBoxCodec(self.session_key)

    def _send_public_key(self, pk):
        m = Message()
        m.public_key.CopyFrom(pk)
        return self.send_message(m, encrypt=False)

    def _send_empty_message(self):
        return self.send_payload(b"", kind="empty", msg=Message(), encrypt=False)

    def handshake(self, timeout=None, fallback="raise", first_message=None):
        """§5.3, client side.  Returns the channel state: 'encrypted', or for
        direct=True 'plaintext-direct' (nothing exchanged).
        fallback='raise': HandshakeError when the host cannot be verified
        (nothing is sent).  fallback='stock': do what the stock client does
        (src/client.rs secure_connection): no host pk -> send an empty
        Message without reading; SignedId signature fails -> PublicKey{};
        IdPk.id mismatch or not a SignedId -> empty Message; then plaintext.
        first_message: the host's SignedId Message if already read."""
        if self.direct:
            self.channel = "plaintext-direct"
            return self.channel
        if self.host_pk is None:
            if fallback != "stock":
                raise HandshakeError("no verified host pk (hbbs sent no signed IdPk?)")
            self._send_empty_message()
            self.channel = "plaintext-no-sign-pk"
            return self.channel
        try:
            self.read_signed_id(timeout, first_message=first_message)
        except HandshakeError as e:
            if fallback != "stock":
                raise
            if isinstance(e, SignatureError):
                self._send_public_key(mpb.PublicKey())
                self.channel = "plaintext-pk-mismatch"
            else:
                self._send_empty_message()
                self.channel = "plaintext-sign-failure"
            return self.channel
        pk, key = self.make_public_key()
        self._send_public_key(pk)
        self.set_key(key)
        self.channel = "encrypted"
        return self.channel

    # ------------------------------------------------------------- login
    def wait_hash(self, timeout=None):
        """The host's Hash (already received or the next one)."""
        if self.hash is None:
            self.wait_for("hash", timeout)
        return self.hash

    def proof(self, password=None, h1=None):
        """LoginRequest.password for the current Hash: b'' without a
        password, else SHA256(SHA256(pw‖salt)‖challenge)."""
        if password is None and h1 is None:
            return b""
        if self.hash is None:
            raise ClientError("no Hash received yet")
        if h1 is None:
            h1 = h1_of(password, self.hash.salt)
        return password_proof(h1, self.hash.challenge)

    def build_login_request(self, proof=b"", kind=None, option="default", **fields):
        """LoginRequest as create_login_msg builds it (src/client.rs):
        username, password, my_id, my_name, my_platform, option (desktop /
        view-camera: supported_decoding; terminal, file transfer, port
        forward: none), session_id, version, os_login{} (always present,
        empty), the kind's union.  fields override any LoginRequest field
        (e.g. username=, my_id=, hwid=, avatar=); kind-specific: dir=,
        show_hidden=, host=, port=, service_id=."""
        kind = norm_kind(kind or self.kind)
        dir_ = fields.pop("dir", self.file_dir)
        show_hidden = fields.pop("show_hidden", self.show_hidden)
        fhost = fields.pop("host", self.forward_host)
        fport = fields.pop("port", self.forward_port)
        service_id = fields.pop("service_id", self.service_id)
        lr = mpb.LoginRequest(username=self.username, password=bytes(proof), my_id=self.my_id,
                              my_name=self.my_name, my_platform=self.my_platform,
                              session_id=self.session_id, version=self.version)
        lr.os_login.SetInParent()
        if option == "default":
            option = self.option
        if option == "default":
            if kind in ("desktop", "view-camera"):
                lr.option.supported_decoding.CopyFrom(default_supported_decoding())
        elif option is not None:
            lr.option.CopyFrom(option)
        if kind == "file-transfer":
            lr.file_transfer.dir = dir_
            lr.file_transfer.show_hidden = bool(show_hidden)
        elif kind in ("port-forward", "rdp"):
            lr.port_forward.host = "RDP" if kind == "rdp" and not fhost else fhost
            lr.port_forward.port = int(fport)
        elif kind == "terminal":
            lr.terminal.service_id = service_id
        elif kind == "view-camera":
            lr.view_camera.SetInParent()
        for k, v in fields.items():
            if isinstance(v, (bytes, str, int, float, bool)):
                setattr(lr, k, v)
            else:
                getattr(lr, k).CopyFrom(v)
        return lr

    def send_login_request(self, proof=b"", **kw):
        """Builds (build_login_request) and sends one LoginRequest."""
        lr = self.build_login_request(proof, **kw)
        m = Message()
        m.login_request.CopyFrom(lr)
        self.send_message(m)
        self.login_requests.append(lr)
        return lr

    def wait_login_response(self, timeout=None):
        """Next LoginResponse: its error string or the PeerInfo."""
        n = len(self.login_responses)
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while len(self.login_responses) == n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no LoginResponse within {timeout:.1f}s")
            self.wait_for("login_response", left)
        lr = self.login_responses[n]
        return lr.error if lr.WhichOneof("union") == "error" else lr.peer_info

    def login(self, password=None, h1=None, *, empty_first=False, empty_wait=0.3,
              reply_timeout=None, timeout=None, proof=None, **fields):
        """Hash -> LoginRequest -> LoginResponse (TestDelay echoed,
        PermissionInfo recorded on the way).  Returns the error string
        (e.g. 'Wrong Password') or the PeerInfo.
        password=None and h1=None: the stock 'no password yet' attempt (empty
        proof); the host should not answer, so this waits only reply_timeout
        (default 1 s) and returns None if nothing came.
        empty_first=True: send the empty attempt first, read for empty_wait
        seconds (a reply to it is kept in .login_responses), then the real one.
        Call again after 'Wrong Password' to retry on the same connection
        (same Hash, as the stock client does).  proof= sends exact bytes.
        fields: LoginRequest overrides (username=, my_id=, kind=, ...).
        Raises SessionClosed if the host closes before answering."""
        timeout = self.timeout if timeout is None else timeout
        self.wait_hash(timeout)
        if empty_first:
            self.send_login_request(b"", **fields)
            self.pump(empty_wait)
            if self.closed:
                raise SessionClosed("connection closed after the empty-password attempt", self)
        if proof is None:
            proof = self.proof(password, h1)
        self.send_login_request(proof, **fields)
        if not proof and password is None and h1 is None:
            try:
                return self.wait_login_response(1.0 if reply_timeout is None else reply_timeout)
            except TimeoutError:
                return None
        return self.wait_login_response(timeout if reply_timeout is None else reply_timeout)

    # ----------------------------------------------------- after login
    def send_mouse_event(self, x=10, y=10, mask=0, modifiers=()):
        m = Message()
        m.mouse_event.mask, m.mouse_event.x, m.mouse_event.y = mask, x, y
        m.mouse_event.modifiers.extend(modifiers)
        return self.send_message(m)

    def send_key_event(self, chr_=38, down=True, mode=1, press=False):
        m = Message()
        m.key_event.down, m.key_event.press, m.key_event.chr = down, press, chr_
        m.key_event.mode = mode
        return self.send_message(m)

    def send_test_delay(self, t=None):
        """TestDelay{from_client:true} (the web client's probe; the host
        echoes it)."""
        m = Message()
        m.test_delay.time = int(time.time() * 1000) if t is None else t
        m.test_delay.from_client = True
        return self.send_message(m)

    # -------------------------------------------- keyboard (§9.2)
    def send_key(self, **kw):
        """One KeyEvent built by key_msg(**kw) (mode=, down=, press=,
        control_key_=, chr_=, unicode_=, seq=, modifiers=)."""
        return self.send_message(key_msg(**kw))

    def key_map(self, keycode, down=True, modifiers=()):
        """Map mode: chr = X keycode (evdev + 8), down or up."""
        return self.send_message(key_msg("map", down=down, chr_=int(keycode),
                                         modifiers=modifiers))

    def key_map_tap(self, keycode, modifiers=()):
        """Map mode press then release of one keycode."""
        self.key_map(keycode, True, modifiers)
        return self.key_map(keycode, False, modifiers)

    def key_translate_seq(self, text, modifiers=()):
        """Translate mode: seq = text (down=true, as the client sends it)."""
        return self.send_message(key_msg("translate", down=True, seq=text,
                                         modifiers=modifiers))

    def key_translate_chr(self, keycode, down=True, modifiers=()):
        """Translate mode: chr = positional X keycode, as in Map mode."""
        return self.send_message(key_msg("translate", down=down,
                                         chr_=int(keycode), modifiers=modifiers))

    def key_legacy_control(self, control_key_, down=True, press=False,
                           modifiers=()):
        """Legacy mode: control_key = a CONTROL_KEYS name or value."""
        return self.send_message(key_msg("legacy", down=down, press=press,
                                         control_key_=control_key_,
                                         modifiers=modifiers))

    def key_legacy_char(self, ch, down=True, press=False, modifiers=()):
        """Legacy mode: chr = the character's code point (str of length 1
        or an int)."""
        return self.send_message(key_msg("legacy", down=down, press=press,
                                         chr_=ch if isinstance(ch, int) else ord(ch),
                                         modifiers=modifiers))

    def key_legacy_unicode(self, cp, down=True, modifiers=()):
        """Legacy mode: unicode = a code point (int or 1-char str)."""
        return self.send_message(key_msg("legacy", down=down,
                                         unicode_=cp if isinstance(cp, int) else ord(cp),
                                         modifiers=modifiers))

    def key_legacy_seq(self, text, modifiers=()):
        """Legacy mode: seq = text."""
        return self.send_message(key_msg("legacy", down=True, seq=text,
                                         modifiers=modifiers))

    def type_text(self, text, mode="map", per_char=True, legacy_shift=True,
                  delay=0.0):
        """Types text the way a client in `mode` would.
        'map': US-layout X keycodes (US_KEYMAP); characters that need Shift
        are Shift_L (50) down, key down, key up, Shift up (ValueError for a
        character a US keyboard has no key for).
        'translate': seq per character (per_char=False: one seq).
        'legacy': chr down and up per character; legacy_shift=True adds
        modifiers=[Shift] to characters a US layout types with Shift, as a
        legacy client holding Shift would.
        delay: seconds between characters.  Returns the messages sent."""
        mode = mode.lower()
        n0 = len(self.sent)
        if mode == "translate" and not per_char:
            self.key_translate_seq(text)
            return len(self.sent) - n0
        for i, ch in enumerate(text):
            if i and delay:
                time.sleep(delay)
            if mode == "map":
                if ch not in US_KEYMAP:
                    raise ValueError(f"no US key for {ch!r}")
                kc, shift = US_KEYMAP[ch]
                if shift:
                    self.key_map(X_KEYCODES["Shift_L"], True)
                    self.key_map(kc, True, ["Shift"])
                    self.key_map(kc, False, ["Shift"])
                    self.key_map(X_KEYCODES["Shift_L"], False)
                else:
                    self.key_map_tap(kc)
            elif mode == "translate":
                self.key_translate_seq(ch)
            elif mode == "legacy":
                mods = ["Shift"] if (legacy_shift and ch in US_KEYMAP
                                     and US_KEYMAP[ch][1]) else []
                self.key_legacy_char(ch, True, modifiers=mods)
                self.key_legacy_char(ch, False, modifiers=mods)
            else:
                raise ValueError(f"mode {mode!r}")
        return len(self.sent) - n0

    # ----------------------------------------------- mouse (§9.1)
    def mouse_move(self, x, y, modifiers=()):
        """MOVE to global host coordinates."""
        return self.send_message(mouse_msg(MOUSE_MOVE, x, y, modifiers))

    def mouse_move_relative(self, dx, dy):
        return self.send_message(mouse_msg(MOUSE_MOVE_RELATIVE, dx, dy))

    def mouse_down(self, button="left", x=0, y=0, modifiers=()):
        """DOWN of one button ('left'|'right'|'middle'|'back'|'forward' or
        a bit value) with the position fields set."""
        return self.send_message(mouse_msg(mouse_mask(MOUSE_DOWN, button), x, y,
                                           modifiers))

    def mouse_up(self, button="left", x=0, y=0, modifiers=()):
        return self.send_message(mouse_msg(mouse_mask(MOUSE_UP, button), x, y,
                                           modifiers))

    def click(self, x, y, button="left", modifiers=()):
        """Move to (x, y), then DOWN and UP there."""
        self.mouse_move(x, y)
        self.mouse_down(button, x, y, modifiers)
        return self.mouse_up(button, x, y, modifiers)

    def drag(self, x0, y0, x1, y1, steps=10, button="left"):
        """Move to A, DOWN at A, `steps` moves to B, UP at B."""
        self.mouse_move(x0, y0)
        self.mouse_down(button, x0, y0)
        steps = max(1, int(steps))
        for i in range(1, steps + 1):
            self.mouse_move(round(x0 + (x1 - x0) * i / steps),
                            round(y0 + (y1 - y0) * i / steps))
        return self.mouse_up(button, x1, y1)

    def wheel(self, dx=0, dy=0, trackpad=False):
        """WHEEL (type 3; TRACKPAD 4 if trackpad): deltas in notches in x/y.
        Wire y > 0 scrolls up (X button 4), x > 0 left (button 6)."""
        return self.send_message(mouse_msg(MOUSE_TRACKPAD if trackpad else
                                           MOUSE_WHEEL, dx, dy))

    def flood_input(self, n, kind="mouse", rate=None, batch=200, area=(1280, 720),
                    keycode=38):
        """Sends n input events as fast as possible (rate=None) or at about
        `rate` events/s, `batch` frames per write; reads (and handles) what
        the host sends between writes and while a write is blocked, so a
        host that stops reading cannot deadlock us.  kind='mouse': MOVEs
        walking over area=(w, h); 'key': Map-mode down/up of `keycode`
        alternately.  One Sent record per batch (kind 'flood:<kind>').
        Returns {'sent', 'seconds', 'batches', 'received'}."""
        t0 = time.monotonic()
        n_recv = len(self.received)
        w, h = area
        sent = batches = 0
        while sent < n:
            k = min(batch, n - sent)
            wire = []
            seq = None
            for i in range(sent, sent + k):
                if kind == "mouse":
                    m = mouse_msg(MOUSE_MOVE, (i * 7) % w, (i * 3) % h)
                elif kind == "key":
                    m = key_msg("map", down=(i % 2 == 0), chr_=int(keycode))
                else:
                    raise ValueError(f"kind {kind!r}")
                p = m.SerializeToString()
                if self.codec is not None:
                    p = self.codec.seal(p)
                    seq = self.codec.send_seq
                wire.append(rp.encode_frame(p))
            data = b"".join(wire)
            self._sendall_reading(data)
            self.sent.append(Sent(time.monotonic(), f"flood:{kind}", None, data,
                                  self.codec is not None, seq))
            sent += k
            batches += 1
            self._handle_pending()
            if rate:
                ahead = t0 + sent / float(rate) - time.monotonic()
                if ahead > 0:
                    self.pump(ahead)
        return {"sent": sent, "seconds": time.monotonic() - t0,
                "batches": batches, "received": len(self.received) - n_recv}

    def _sendall_reading(self, data):
        """sendall() that keeps reading the socket (into the decoder) while
        the kernel buffer is full."""
        if self.sock is None:
            raise SessionClosed("client socket already closed", self)
        view = memoryview(data)
        deadline = time.monotonic() + self.timeout
        while view:
            if time.monotonic() > deadline:
                raise ClientError(f"send stalled for {self.timeout:.0f}s "
                                  "(host not reading)")
            r, w, _ = select.select([self.sock], [self.sock], [], 0.5)
            if r and not self.closed:
                self._read_more(0)
            if w:
                try:
                    k = self.sock.send(view[:262144], socket.MSG_DONTWAIT)
                except BlockingIOError:
                    continue
                except OSError as e:
                    self._mark_closed(f"send: {e}")
                    raise SessionClosed(f"send failed: {e}", self) from None
                view = view[k:]
                deadline = time.monotonic() + self.timeout

    def _handle_pending(self):
        """Handles every complete frame already read, and whatever else is
        readable now, without waiting."""
        deadline = time.monotonic() + 0.05     # a constant stream: stop
        while time.monotonic() < deadline:
            if not self.pending and not self._read_more(0):
                return
            while self.pending:
                try:
                    self.recv_message(0)
                except (TimeoutError, ChannelError):
                    break

    def drain(self):
        """Handles what has arrived so far without waiting (public
        _handle_pending)."""
        self._handle_pending()
        return not self.closed

    # ------------------------------------------- clipboard (§10)
    def send_clipboard(self, data, multi=True, compress=None, fmt="text",
                       width=None, height=None):
        """Sends text (str or UTF-8 bytes) or image bytes as MultiClipboards
        (multi=True, field 28) or a single Clipboard (field 16).
        compress=None: zstd if smaller (never for PNG); True/False forced.
        fmt: 'text'|'rtf'|'html'|'png'|'rgba'|'svg' or the int."""
        cb = build_clipboard(data, compress=compress, fmt=fmt, width=width,
                             height=height)
        return self.send_message(clipboard_msg(cb, multi))

    def send_clipboards(self, entries, multi=True):
        """Several Clipboard entries (build_clipboard()) in one
        MultiClipboards (or the first one alone if multi=False)."""
        return self.send_message(clipboard_msg(list(entries), multi))

    def send_clipboard_raw(self, content, compress=True, fmt=0, multi=True,
                           width=0, height=0):
        """Hostile: `content` exactly as given with the compress flag and
        format as given (e.g. not zstd at all, a zstd_bomb(), format 9999)."""
        cb = mpb.Clipboard(compress=bool(compress), content=bytes(content),
                           width=int(width), height=int(height))
        cb.format = int(fmt)    # may be outside the enum (open enum)
        return self.send_message(clipboard_msg(cb, multi))

    def _on_clipboard(self, entries, multi):
        t = time.monotonic()
        for cb in entries:
            data = bytes(cb.content)
            if cb.compress:
                try:
                    data = zstd_decompress(data)
                except ValueError as e:
                    self.clipboard_errors.append((t, str(e)))
                    data = None
            self.clipboards_received.append(
                ClipboardRecord(t, int(cb.format), data, bool(cb.compress), multi))

    def clipboard_texts(self, multi=None):
        """Decoded Text entries received so far (multi=None: any message
        kind, True: only from MultiClipboards, False: only single)."""
        return [r.data.decode("utf-8", "replace") for r in self.clipboards_received
                if r.fmt == 0 and r.data is not None
                and (multi is None or r.multi == multi)]

    def wait_clipboard(self, pred=None, timeout=None, since=0):
        """Reads until a ClipboardRecord (index >= since) satisfying pred
        (default: any) has arrived; returns it.  TimeoutError/SessionClosed."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            for r in self.clipboards_received[since:]:
                if pred is None or pred(r):
                    return r
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching clipboard within {timeout:.1f}s")
            try:
                if self.recv_message(left) is None:
                    raise SessionClosed("connection closed while waiting for a "
                                        "clipboard", self)
            except TimeoutError:
                pass

    # ------------------------------------------------ video (§7, §8, §13)
    def _on_video(self, vf):
        t = time.monotonic()
        codec = vf.WhichOneof("union")
        frames = []
        if codec in ("vp9s", "vp8s", "av1s", "h264s", "h265s"):
            frames = [(bytes(f.data), bool(f.key), int(f.pts))
                      for f in getattr(vf, codec).frames]
        d = int(vf.display)
        c = self.video_counts.get(d)
        if c is None:
            c = self.video_counts[d] = {
                "messages": 0, "packets": 0, "bytes": 0, "key_frames": 0,
                "empty": 0, "codecs": collections.Counter(),
                "first_t": t, "last_t": t, "first_key_t": None}
        c["messages"] += 1
        c["packets"] += len(frames)
        c["bytes"] += sum(len(f[0]) for f in frames)
        nkey = sum(1 for f in frames if f[1])
        c["key_frames"] += nkey
        if nkey and c["first_key_t"] is None:
            c["first_key_t"] = t
        if not frames:
            c["empty"] += 1
        c["codecs"][codec or "none"] += 1
        c["last_t"] = t
        self.video.append(VideoRecord(t, d, codec, frames if self.keep_video else
                                      [(b"", k, p) for _, k, p in frames]))
        if self._ack_wanted():
            if self.ack_delay > 0:
                bisect.insort(self._acks_due, t + self.ack_delay)
            else:
                try:
                    self.send_video_received()
                except SessionClosed:
                    pass

    def _ack_wanted(self):
        if self.auto_ack is not None:
            return bool(self.auto_ack)
        return bool(self.login_requests and self.login_requests[-1].video_ack_required)

    def flush_acks(self, force=False):
        """Sends the queued video_received acks that are due (all of them if
        force).  Returns how many were sent."""
        n = 0
        now = time.monotonic()
        while self._acks_due and (force or self._acks_due[0] <= now):
            self._acks_due.pop(0)
            try:
                self.send_video_received()
            except SessionClosed:
                self._acks_due.clear()
                break
            n += 1
        return n

    def _on_cursor_data(self, cd):
        try:
            rgba, err = cursor_rgba(cd), None
        except ValueError as e:
            rgba, err = None, str(e)
        shape = CursorShape(time.monotonic(), int(cd.id), int(cd.hotx), int(cd.hoty),
                            int(cd.width), int(cd.height), rgba, err)
        self.cursor_shapes.append(shape)
        self.cursors[shape.id] = shape

    def video_frames(self, display=None):
        """[VideoRecord(t, display, codec, [(data, key, pts)])] received so
        far, all displays (display=None) or one."""
        if display is None:
            return list(self.video)
        return [v for v in self.video if v.display == display]

    def video_packets(self, display=0, since_index=0):
        """[(t, codec, data, key, pts)] flattened from video_frames(display)
        [since_index:]."""
        return [(v.t, v.codec, d, k, p) for v in self.video_frames(display)[since_index:]
                for d, k, p in v.frames]

    def video_stats(self, display=None):
        """Counters of one display (dict) or {display: dict} for all:
        messages (VideoFrames), packets (EncodedVideoFrames), bytes (sum of
        data), key_frames, empty (VideoFrames without packets), codecs
        ({oneof name: count}), first_t/last_t/first_key_t (monotonic)."""
        def cp(c):
            c = dict(c)
            c["codecs"] = dict(c["codecs"])
            return c
        if display is None:
            return {d: cp(c) for d, c in self.video_counts.items()}
        c = self.video_counts.get(display)
        return cp(c) if c else {"messages": 0, "packets": 0, "bytes": 0, "key_frames": 0,
                                "empty": 0, "codecs": {}, "first_t": None,
                                "last_t": None, "first_key_t": None}

    def clear_video(self):
        """Forgets received frame data (counters stay)."""
        self.video = []

    def wait_video(self, count=1, display=None, timeout=None):
        """Reads until at least `count` VideoFrames (of `display`, or any)
        have been received in total; returns video_frames(display).
        TimeoutError / SessionClosed."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while len(self.video_frames(display)) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{len(self.video_frames(display))} of {count} video "
                                   f"frames (display {display}) within {timeout:.1f}s")
            try:
                if self.recv_message(left) is None:
                    raise SessionClosed("connection closed while waiting for video", self)
            except TimeoutError:
                pass
        return self.video_frames(display)

    def display_size(self, display=0):
        """(width, height) of a display: the host's last SwitchDisplay for it,
        else the last PeerInfo listing it; None if unknown."""
        for _, sd in reversed(self.switch_displays):
            if sd.display == display and sd.width > 0:
                return sd.width, sd.height
        for pi in reversed([self.peer_info] + self.peer_infos):
            if pi is not None and 0 <= display < len(pi.displays):
                return pi.displays[display].width, pi.displays[display].height
        return None

    def write_ivf(self, path, display=0, since_index=0, width=None, height=None,
                  pts="monotonic"):
        """Writes every EncodedVideoFrame.data of video_frames(display)
        [since_index:] in order to an IVF file (fourcc from the codec,
        timebase 1/1000).  width/height: given, else from the first key
        frame's header, else display_size().  pts='monotonic': the host's pts,
        shifted so that it never goes backwards across encoder restarts;
        'agent': as sent; 'arrival': ms since the first frame's arrival.
        Returns the number of frames written (ValueError if none)."""
        pk = self.video_packets(display, since_index)
        if not pk:
            raise ValueError(f"no video frames for display {display}")
        codecs = {c for _, c, _, _, _ in pk}
        if len(codecs) != 1:
            raise ValueError(f"display {display}: several codecs {sorted(codecs)}; "
                             "pass since_index after the change")
        codec = codecs.pop()
        if width is None or height is None:
            size = None
            for _, _, d, k, _ in pk:
                if k:
                    size = keyframe_size(codec, d)
                    if size:
                        break
            size = size or self.display_size(display) or (0, 0)
            width = size[0] if width is None else width
            height = size[1] if height is None else height
        out, last, offset = [], None, 0
        t0 = pk[0][0]
        for t, _, d, _, p in pk:
            if pts == "arrival":
                v = int(round((t - t0) * 1000))
            elif pts == "agent":
                v = p
            else:
                v = p + offset
                if last is not None and v <= last:
                    offset += last + 1 - v
                    v = last + 1
            if pts != "agent" and last is not None and v <= last:
                v = last + 1
            last = v
            out.append((v, d))
        fourcc = IVF_FOURCC.get(codec, codec[:4].upper().encode())
        return write_ivf_frames(path, fourcc, int(width), int(height), out)

    def _send_misc(self, **kw):
        m = Message()
        for k, v in kw.items():
            if isinstance(v, (bool, int, str, bytes)):
                setattr(m.misc, k, v)
            else:
                getattr(m.misc, k).CopyFrom(v)
        return self.send_message(m)

    def send_video_received(self):
        """Misc{video_received: true} (the ack of §7.3)."""
        w = self._send_misc(video_received=True)
        self.acks_sent += 1
        return w

    def refresh_video(self, display=None):
        """display=None: Misc.refresh_video=true (all); an int:
        Misc.refresh_video_display=display (§7.4)."""
        if display is None:
            return self._send_misc(refresh_video=True)
        return self._send_misc(refresh_video_display=int(display))

    def switch_display(self, display, width=None, height=None):
        """Misc.switch_display{display (, width, height as a requested
        resolution)}."""
        sd = mpb.SwitchDisplay(display=int(display))
        if width is not None:
            sd.width = int(width)
        if height is not None:
            sd.height = int(height)
        return self._send_misc(switch_display=sd)

    def capture_displays(self, set_=None, add=None, sub=None):
        """Misc.capture_displays{add, sub, set} (repeated int32)."""
        cd = mpb.CaptureDisplays()
        cd.add.extend(int(x) for x in (add or ()))
        cd.sub.extend(int(x) for x in (sub or ()))
        getattr(cd, "set").extend(int(x) for x in (set_ or ()))
        return self._send_misc(capture_displays=cd)

    def message_query_switch_display(self, display):
        """Misc.message_query{switch_display: display}; the host answers with
        Misc.switch_display (recorded in .switch_displays)."""
        return self._send_misc(message_query=mpb.MessageQuery(switch_display=int(display)))

    def send_option(self, option=None, **fields):
        """Misc.option = an OptionMessage (given, or built by
        option_message(**fields): custom_fps=, image_quality=,
        custom_image_quality=, supported_decoding=, show_remote_cursor=, ...)."""
        return self._send_misc(option=option if option is not None else
                               option_message(**fields))

    # -------------------------------------------------- misbehaving modes
    def handshake_empty_public_key(self, read_signed_id=True):
        """Sends PublicKey{} (what a client that cannot verify the host
        sends) and continues in plaintext."""
        if read_signed_id:
            self.read_signed_id(verify=False)
        self._send_public_key(mpb.PublicKey())
        self.channel = "plaintext-empty-public-key"
        return self.channel

    def handshake_empty_message(self, read_signed_id=False):
        """Sends an empty Message (zero-length frame) instead of PublicKey,
        like a client without a sign pk (it does not read SignedId first)."""
        if read_signed_id:
            self.read_signed_id(verify=False)
        self._send_empty_message()
        self.channel = "plaintext-empty-message"
        return self.channel

    def handshake_short_key(self, length=31, read_signed_id=True):
        """PublicKey with an asymmetric_value of `length` bytes (host must
        abort: 'invalid public sign key length')."""
        if read_signed_id:
            self.read_signed_id(verify=False)
        pk = mpb.PublicKey(asymmetric_value=os.urandom(length),
                           symmetric_value=os.urandom(48))
        self._send_public_key(pk)
        self.channel = f"bad-key-length-{length}"
        return self.channel

    def handshake_bad_box(self, read_signed_id=True):
        """A 32-byte asymmetric_value whose symmetric_value was sealed for a
        different key: crypto_box_open fails on the host."""
        if read_signed_id:
            self.read_signed_id(verify=False)
        other = nacl.public.PrivateKey.generate().public_key
        pk, _ = self.make_public_key(bytes(other))
        self._send_public_key(pk)
        self.channel = "bad-box"
        return self.channel

    def send_garbage(self, size=64, framed=True, data=None):
        """Garbage: framed=True -> one BytesCodec frame whose payload does
        not parse as a Message (default 0x07 bytes: field 0, wire type 7);
        framed=False -> raw random bytes.  Never encrypted: before the key
        exchange it is a bad handshake frame, after it an undecryptable one."""
        if data is None:
            data = bytes([0x07]) * size if framed else os.urandom(size)
        if framed:
            return self._write(rp.encode_frame(data), "garbage", None, False, None)
        return self.send_raw(data, "garbage-raw")

    def send_undecryptable(self, size=64):
        """After the key exchange: a frame of random bytes (≥ 2) that fails
        secretbox authentication.  Our send counter is not advanced."""
        return self._write(rp.encode_frame(os.urandom(max(2, size))), "undecryptable",
                           None, False, None)

    def send_wrong_nonce(self, msg=None, skip=1):
        """Seals `msg` (default TestDelay{from_client}) with the counter
        `skip` values ahead of the expected one, i.e. nonce send_seq+1+skip
        (skip=-1 reuses the previous nonce)."""
        if self.codec is None:
            raise ClientError("no session key")
        if msg is None:
            msg = Message()
            msg.test_delay.time = int(time.time() * 1000)
            msg.test_delay.from_client = True
        self.codec.send_seq += skip
        return self.send_message(msg)

    def replay(self, index=None):
        """Re-sends the exact wire bytes of an earlier encrypted frame
        (default: the last one).  Returns them."""
        enc = [s for s in self.sent if s.encrypted]
        if not enc:
            raise ClientError("no encrypted frame sent yet")
        s = enc[-1] if index is None else enc[index]
        return self._write(s.wire, f"replay:{s.kind}", s.msg, True, s.seq)

    def send_oversize_login(self, size=65536, password=None):
        """A LoginRequest of about `size` payload bytes (avatar padded)."""
        lr = self.build_login_request(self.proof(password) if password else b"")
        base = len(lr.SerializeToString()) + 8
        lr.avatar = "A" * max(0, size - base)
        m = Message()
        m.login_request.CopyFrom(lr)
        return self.send_message(m)

    def send_oversize_frame(self, size=65536, body=None):
        """A BytesCodec header declaring `size` bytes followed by `body`
        bytes of it (default: all, random).  Unencrypted."""
        body = size if body is None else body
        return self._write(rp.encode_header(size) + os.urandom(body), "oversize-frame",
                           None, False, None)

    def slow_loris(self, interval=3.0, duration=60.0, data=None, nbytes=1):
        """Trickles `data` (default: a valid-looking 2-byte frame header for
        200 bytes then zeros) `nbytes` at a time every `interval` s, reading
        (and discarding) what the host sends, until the host closes or
        `duration` passes.  Returns {'closed', 'after', 'sent'}."""
        data = bytes(data) if data is not None else rp.encode_header(200) + bytes(200)
        start = time.monotonic()
        sent = 0
        next_send = start
        while True:
            now = time.monotonic()
            if now - start >= duration:
                break
            if now >= next_send and sent < len(data):
                try:
                    self.send_raw(data[sent:sent + nbytes], "slow-loris")
                except SessionClosed:
                    break
                sent += nbytes
                next_send = now + interval
            wait = max(0.0, min(next_send, start + duration) - time.monotonic())
            if self.closed:
                break
            self._read_more(wait if sent < len(data) else start + duration - time.monotonic())
            if self.closed:
                break
        after = (self.eof_time - start) if self.closed and self.eof_time else None
        return {"closed": self.closed, "after": after, "sent": sent}

    def misbehave(self, name, password=None, wait=10.0, **kw):
        """misbehave(self, name, ...): see the module-level function."""
        return misbehave(self, name, password=password, wait=wait, **kw)

    # ------------------------------------------------------- summaries
    def peer_info_summary(self, pi=None):
        pi = pi or self.peer_info
        if pi is None:
            return None
        return {"username": pi.username, "hostname": pi.hostname, "platform": pi.platform,
                "version": pi.version, "displays": [
                    {"x": d.x, "y": d.y, "width": d.width, "height": d.height,
                     "name": d.name, "online": d.online,
                     "cursor_embedded": d.cursor_embedded} for d in pi.displays],
                "current_display": pi.current_display,
                "features": _to_dict(pi.features) if pi.HasField("features") else None,
                "encoding": _to_dict(pi.encoding) if pi.HasField("encoding") else None,
                "platform_additions": pi.platform_additions}

    def summary(self):
        counts = collections.Counter(r.kind for r in self.received)
        return {"channel": self.channel, "encrypted": self.encrypted,
                "host_id": self.host_id, "login_error": self.login_error,
                "peer_info": self.peer_info_summary(),
                "login_responses": [(lr.error if lr.WhichOneof("union") == "error"
                                     else "peer_info") for lr in self.login_responses],
                "permissions": self.permissions, "close_reason": self.close_reason,
                "message_boxes": [_to_dict(mb) for mb in self.message_boxes],
                "test_delays": self.test_delays, "test_delays_echoed": self.test_delays_echoed,
                "messages": dict(counts), "closed": self.closed,
                "eof_reason": self.eof_reason,
                "video": {str(d): {k: v for k, v in st.items() if not k.endswith("_t")}
                          for d, st in self.video_stats().items()},
                "video_acks": self.acks_sent,
                "cursor_shapes": len(self.cursor_shapes),
                "cursor_positions": len(self.cursor_positions),
                "clipboards": [(CLIPBOARD_FORMAT_NAMES.get(r.fmt, r.fmt),
                                None if r.data is None else len(r.data), r.compressed,
                                r.multi) for r in self.clipboards_received],
                "clipboard_errors": [e for _, e in self.clipboard_errors]}


# ------------------------------------------------- hostile scenarios
def _after_hash(c, password=None):
    c.handshake()
    c.wait_hash()


def _sc_wrong_password(c, password=None, **kw):
    c.handshake()
    return c.login(kw.get("bad_password", "definitely-not-the-password"))


def _sc_empty_public_key(c, **kw):
    c.handshake_empty_public_key()


def _sc_empty_message(c, **kw):
    c.handshake_empty_message()


def _sc_short_key(c, **kw):
    c.handshake_short_key(kw.get("length", 31))


def _sc_bad_box(c, **kw):
    c.handshake_bad_box()


def _sc_garbage_before(c, **kw):
    c.read_signed_id(verify=False)
    c.send_garbage(kw.get("size", 64), framed=kw.get("framed", True))


def _sc_garbage_after(c, **kw):
    _after_hash(c)
    c.send_undecryptable(kw.get("size", 64))


def _sc_wrong_nonce(c, **kw):
    _after_hash(c)
    c.send_wrong_nonce(skip=kw.get("skip", 1))


def _sc_replay(c, **kw):
    _after_hash(c)
    c.send_test_delay()
    c.replay()


def _sc_input_before_login(c, **kw):
    _after_hash(c)
    c.send_mouse_event(100, 100, 0)
    c.send_key_event()


def _sc_oversize(c, **kw):
    _after_hash(c)
    c.send_oversize_login(kw.get("size", 65536))


def _sc_slow_loris(c, **kw):
    return c.slow_loris(kw.get("interval", 3.0), kw.get("duration", 60.0))


def _sc_idle(c, **kw):
    return None


def _sc_scope_change(c, password=None, **kw):
    c.handshake()
    first = c.login(None)               # stock empty first attempt (no reply)
    return first, c.login(password or "x", my_id=kw.get("other_id", "999888777"))


def _sc_wrong_username(c, password=None, **kw):
    c.handshake()
    return c.login(password or "x", username=kw.get("username", "not-" + c.target_id))


MISBEHAVIOURS = {
    "wrong-password": _sc_wrong_password,
    "empty-public-key": _sc_empty_public_key,
    "empty-message": _sc_empty_message,
    "short-key": _sc_short_key,
    "bad-box": _sc_bad_box,
    "garbage-before": _sc_garbage_before,
    "garbage-after": _sc_garbage_after,
    "wrong-nonce": _sc_wrong_nonce,
    "replay": _sc_replay,
    "input-before-login": _sc_input_before_login,
    "oversize": _sc_oversize,
    "slow-loris": _sc_slow_loris,
    "idle": _sc_idle,
    "scope-change": _sc_scope_change,
    "wrong-username": _sc_wrong_username,
}


def misbehave(c, name, password=None, wait=10.0, **kw):
    """Runs hostile scenario `name` (a MISBEHAVIOURS key) on Client c, then
    waits up to `wait` s for the host to close.  Returns a JSON-friendly
    dict: scenario, result (what the scenario returned, e.g. login answers),
    error (exception text), closed, closed_after (s since the scenario
    started, None if still open), close_reason, login_error, message_boxes,
    messages (counts by kind)."""
    fn = MISBEHAVIOURS[name]
    start = time.monotonic()
    out = {"scenario": name, "result": None, "error": None}
    try:
        r = fn(c, password=password, **kw)
        if isinstance(r, tuple):
            r = [c.peer_info_summary(x) if hasattr(x, "displays") else x for x in r]
        elif hasattr(r, "displays"):
            r = c.peer_info_summary(r)
        out["result"] = r
    except (ClientError, TimeoutError, rp.ProtoError) as e:
        out["error"] = f"{type(e).__name__}: {e}"
    if not c.closed:
        c.wait_closed(max(0.0, start + wait - time.monotonic()) if name != "idle" else wait)
    s = c.summary()
    out.update(closed=c.closed,
               closed_after=(c.eof_time - start) if c.closed and c.eof_time else None,
               close_reason=c.close_reason, login_error=c.login_error,
               message_boxes=s["message_boxes"], messages=s["messages"],
               eof_reason=c.eof_reason)
    return out


# ------------------------------------------------------------------ CLI
def main(argv=None):
    ap = argparse.ArgumentParser(description="RustDesk-like technician client (test peer)")
    ap.add_argument("--direct", default=None, help="HOST[:PORT] of a direct-access port")
    ap.add_argument("--rendezvous", default=None, help="hbbs HOST:PORT")
    ap.add_argument("--key", default="", help="licence key = base64 hbbs pk")
    ap.add_argument("--mode", choices=[m for m in initiator.MODES if m != "direct"],
                    default="punch")
    ap.add_argument("--id", default="", help="target host ID")
    ap.add_argument("--password", default=None)
    ap.add_argument("--empty-first", action="store_true",
                    help="send the stock empty-password LoginRequest first")
    ap.add_argument("--kind", default="desktop", choices=KINDS + tuple(
        k.replace("-", "_") for k in KINDS if "-" in k))
    ap.add_argument("--dir", default="", help="file-transfer dir")
    ap.add_argument("--forward", default="", help="port-forward HOST:PORT")
    ap.add_argument("--service-id", default="", help="terminal service_id")
    ap.add_argument("--username", default=None)
    ap.add_argument("--my-id", default="100200300")
    ap.add_argument("--my-name", default="Outpost Tester")
    ap.add_argument("--version", default="1.4.9")
    ap.add_argument("--fallback", choices=("raise", "stock"), default="raise")
    ap.add_argument("--linger", type=float, default=0.0,
                    help="seconds to keep reading after login")
    ap.add_argument("--misbehave", choices=sorted(MISBEHAVIOURS), default=None)
    ap.add_argument("--wait", type=float, default=10.0,
                    help="--misbehave: seconds to wait for the host to close")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--prefer", default=None, choices=("Auto", "VP9", "VP8", "AV1"),
                    help="desktop: send supported_decoding(vp9, vp8, prefer=...)")
    ap.add_argument("--ack", action="store_true",
                    help="log in with video_ack_required and ack every frame")
    ap.add_argument("--ivf", default=None,
                    help="after --linger: write display 0's stream to this IVF file")
    a = ap.parse_args(argv)
    fhost, fport = ("", 0)
    if a.forward:
        fhost, fport = rp.split_host_port(a.forward, 0)
    kw = dict(kind=a.kind, username=a.username, my_id=a.my_id, my_name=a.my_name,
              version=a.version, file_dir=a.dir, forward_host=fhost, forward_port=fport,
              service_id=a.service_id, timeout=a.timeout)
    if a.prefer:
        kw["option"] = option_message(supported_decoding=supported_decoding(prefer=a.prefer))
    out = {"ok": False}
    try:
        if a.direct:
            c = Client(a.direct, target_id=a.id, direct=True, **kw)
            out["path"] = "direct"
        elif a.rendezvous:
            c = Client.via_rendezvous(a.rendezvous, a.key, a.id, a.mode,
                                      connect_kw={"timeout": a.timeout}, **kw)
            out["path"] = a.mode
        else:
            ap.error("need --direct or --rendezvous")
    except (initiator.InitiatorError, OSError) as e:
        out["error"] = f"{type(e).__name__}: {e}"
        print(json.dumps(out))
        return 1
    rc = 0
    try:
        if a.misbehave:
            out.update(misbehave(c, a.misbehave, password=a.password, wait=a.wait))
            out["ok"] = True
        else:
            c.handshake(fallback=a.fallback)
            lkw = {"video_ack_required": True} if a.ack else {}
            r = c.login(a.password, empty_first=a.empty_first, **lkw)
            if isinstance(r, str):
                out["login"] = {"error": r}
            elif r is None:
                out["login"] = None
            else:
                out["login"] = {"peer_info": c.peer_info_summary(r)}
                out["ok"] = True
            if a.linger > 0:
                c.pump(a.linger)
            if a.ivf and c.video_frames(0):
                out["ivf_frames"] = c.write_ivf(a.ivf, display=0)
    except (ClientError, TimeoutError, rp.ProtoError) as e:
        out["error"] = f"{type(e).__name__}: {e}"
        rc = 1
    finally:
        out.update(c.summary())
        c.close()
    if not out["ok"] and rc == 0:
        rc = 1
    print(json.dumps(out, default=str))
    return rc


if __name__ == "__main__":
    sys.exit(main())
