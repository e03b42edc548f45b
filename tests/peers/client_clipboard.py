# SPDX-License-Identifier: MIT
"""Clipboard of the technician client (§10): format tables, Clipboard /
MultiClipboards builders (zstd when it pays), bounded zstd decompression,
a zstd bomb for hostile tests, and ClipboardMixin of client.Client
(sending, hostile raw sending, and recording what the host sends)."""
import collections
import struct
import time

try:
    from .client_base import (Message, SessionClosed, mpb)
except ImportError:
    from client_base import (Message, SessionClosed, mpb)

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


class ClipboardMixin:
    """Clipboard sending and receiving of Client."""

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
