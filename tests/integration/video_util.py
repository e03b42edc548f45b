#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Helpers for the video tests and the video benchmark: a private Xvfb,
X11 tools (xsetroot, xrandr monitors, xterm, xwd screenshots), IVF decoding
with ffmpeg and PSNR with numpy.  Images are raw rgb24 bytes (row-major,
3 bytes a pixel) so that they compare directly.

Self-check (needs ffmpeg, Xvfb, xwd, xsetroot, xrandr, python3-zstandard):
    /usr/bin/python3 tests/integration/video_util.py [-v]
"""
import math
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "peers"))
import client  # noqa: E402  (IVF reader/writer, key-frame header parser)

read_ivf = client.read_ivf
write_ivf_frames = client.write_ivf_frames
keyframe_size = client.keyframe_size


def xenv(display, **extra):
    """os.environ for an X client of `display` (no XAUTHORITY: Xvfb here
    runs without auth)."""
    env = dict(os.environ, DISPLAY=display)
    env.pop("XAUTHORITY", None)
    env.update(extra)
    return env


class Xvfb:
    """A private X server on a free display number (-displayfd).
    .display ':N', .env (for children), .proc, .width/.height, stop().
    Context manager."""

    def __init__(self, width=1920, height=1080, depth=24, extra_args=(), timeout=15):
        self.width, self.height, self.depth = width, height, depth
        r, w = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(w), "-nolisten", "tcp", "-noreset",
             "+extension", "RANDR", "-screen", "0", f"{width}x{height}x{depth}"]
            + list(extra_args),
            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        os.close(w)
        num = b""
        end = time.monotonic() + timeout
        while not num.endswith(b"\n") and time.monotonic() < end:
            ready, _, _ = select.select([r], [], [], 0.5)
            if ready:
                chunk = os.read(r, 16)
                if not chunk:
                    break
                num += chunk
        os.close(r)
        if not num.strip().isdigit():
            self.stop()
            raise RuntimeError("Xvfb did not start")
        self.display = ":" + num.decode().strip()
        self.env = xenv(self.display)

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _x(display, args, check=True, timeout=10):
    return subprocess.run(args, env=xenv(display), check=check, timeout=timeout,
                          capture_output=True, text=True)


def xsetroot_solid(display, color):
    """Paints the root window one colour ('#336699', 'red', ...)."""
    _x(display, ["xsetroot", "-solid", color])


def make_monitors(display, monitors, dpi=96):
    """RandR 1.5 monitors [(name, w, h, x, y), ...] on one X screen.  The
    first takes over the screen's output (so the automatic whole-screen
    monitor disappears), the others have no output ('none')."""
    outs = _x(display, ["xrandr", "--query"]).stdout.split("\n")
    output = next((ln.split()[0] for ln in outs if " connected" in ln), "none")
    for i, (name, w, h, x, y) in enumerate(monitors):
        mmw, mmh = max(1, round(w * 25.4 / dpi)), max(1, round(h * 25.4 / dpi))
        _x(display, ["xrandr", "--setmonitor", name, f"{w}/{mmw}x{h}/{mmh}+{x}+{y}",
                     output if i == 0 else "none"])


def list_monitors(display):
    """[(name, w, h, x, y)] from xrandr --listmonitors ('0: +*left
    320/85x480/127+0+0  screen')."""
    out = []
    for ln in _x(display, ["xrandr", "--listmonitors"]).stdout.split("\n")[1:]:
        parts = ln.split()
        if len(parts) < 3:
            continue
        geo = parts[2]                       # W/mmWxH/mmH+X+Y
        wpart, rest = geo.split("x", 1)
        hpart, x, y = rest.split("+")
        out.append((parts[1].lstrip("+*"),
                    int(wpart.split("/")[0]), int(hpart.split("/")[0]), int(x), int(y)))
    return out


def start_xterm(display, geometry="80x24+0+0", cmd=None, font=None, extra=(), wait=True):
    """An xterm (Popen, own process group) running `cmd` (a shell command
    string; default: an interactive shell).  font: e.g. 'fixed' or '6x10'.
    wait=True: returns once its window is mapped (xdotool search --sync)."""
    args = ["xterm", "-geometry", geometry, "+sb", "-bg", "black", "-fg", "white"]
    if font:
        args += ["-fn", font]
    args += list(extra)
    if cmd is not None:
        args += ["-e", "sh", "-c", cmd]
    p = subprocess.Popen(args, env=xenv(display), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    if wait:
        wait_window(display, p.pid)
    return p


def wait_window(display, pid, timeout=10):
    """Window id of `pid`'s first visible window (None on timeout)."""
    try:
        out = _x(display, ["xdotool", "search", "--sync", "--onlyvisible", "--pid",
                           str(pid)], check=False, timeout=timeout).stdout.split()
    except subprocess.TimeoutExpired:
        return None
    return out[0] if out else None


def stop_process(p, timeout=5):
    """Ends a Popen started here (its process group if it has one)."""
    if p is None or p.poll() is not None:
        return
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        p.terminate()
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            p.kill()
        p.wait()


# ------------------------------------------------------------- images
def xwd_image(display, crop=None):
    """Screenshot of the root window: (rgb24 bytes, width, height), via
    `xwd -root -silent` and `ffmpeg -f xwd_pipe`.  crop=(x, y, w, h)."""
    import tempfile
    # ffmpeg's xwd_pipe demuxer does not probe from a pipe: go via a file.
    with tempfile.NamedTemporaryFile(prefix="op-xwd-", suffix=".xwd") as f:
        subprocess.run(["xwd", "-root", "-silent", "-display", display], stdout=f,
                       env=xenv(display), check=True, timeout=20)
        f.flush()
        f.seek(16)
        w, h = struct.unpack(">II", f.read(8))      # pixmap_width, pixmap_height
        rgb = subprocess.run(["ffmpeg", "-v", "error", "-f", "xwd_pipe", "-i", f.name,
                              "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                             capture_output=True, check=True, timeout=60).stdout
    if len(rgb) != w * h * 3:
        raise RuntimeError(f"xwd: {len(rgb)} bytes for {w}x{h}")
    if crop is not None:
        rgb, w, h = crop_rgb(rgb, w, h, crop), crop[2], crop[3]
    return rgb, w, h


def xwd_grab(display, path=None, crop=None):
    """rgb24 bytes of the root window (or of crop=(x, y, w, h), e.g. one
    monitor); path: also write it as PNG there."""
    rgb, w, h = xwd_image(display, crop)
    if path is not None:
        write_png(path, rgb, w, h)
    return rgb


def crop_rgb(rgb, w, h, crop):
    x, y, cw, ch = crop
    a = np.frombuffer(rgb, np.uint8).reshape(h, w, 3)
    if x < 0 or y < 0 or x + cw > w or y + ch > h:
        raise ValueError(f"crop {crop} outside {w}x{h}")
    return a[y:y + ch, x:x + cw].tobytes()


def write_png(path, rgb, w, h):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                    "-s", f"{w}x{h}", "-i", "-", "-frames:v", "1", path],
                   input=rgb, check=True, capture_output=True, timeout=60)


def decode_ivf(path, width=None, height=None, last_only=False):
    """Decodes an IVF (VP8/VP9/AV1) with ffmpeg: a list of rgb24 frames
    (bytes), one per decoded picture, in order; last_only=True: [last].
    width/height default to the IVF header's (must be the decoded size)."""
    if width is None or height is None:
        hdr, _ = read_ivf(path)
        width = hdr["width"] if width is None else width
        height = hdr["height"] if height is None else height
    p = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-fps_mode", "passthrough",
                        "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                       capture_output=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"ffmpeg could not decode {path}: {p.stderr.decode()[-500:]}")
    n = width * height * 3
    if n == 0 or len(p.stdout) % n:
        raise RuntimeError(f"{path}: {len(p.stdout)} bytes is not a multiple of "
                           f"{width}x{height}x3")
    frames = [p.stdout[i:i + n] for i in range(0, len(p.stdout), n)]
    return frames[-1:] if last_only else frames


def _psnr_of(mse):
    return math.inf if mse == 0 else 10.0 * math.log10(255.0 * 255.0 / mse)


def psnr_stats(a, b, w, h):
    """{'rgb': PSNR over all three channels, 'r', 'g', 'b': per channel,
    'y': on BT.601 luma (full range)} in dB; inf where identical."""
    x = np.frombuffer(a, np.uint8).reshape(h, w, 3).astype(np.float64)
    y = np.frombuffer(b, np.uint8).reshape(h, w, 3).astype(np.float64)
    d = x - y
    out = {"rgb": _psnr_of(float(np.mean(d * d)))}
    for i, c in enumerate("rgb"):
        out[c] = _psnr_of(float(np.mean(d[:, :, i] ** 2)))
    k = np.array([0.299, 0.587, 0.114])
    dy = x @ k - y @ k
    out["y"] = _psnr_of(float(np.mean(dy * dy)))
    return out


def psnr(a, b, w, h):
    """RGB PSNR in dB of two rgb24 images (inf if identical)."""
    if len(a) != w * h * 3 or len(b) != w * h * 3:
        raise ValueError(f"sizes {len(a)}, {len(b)} for {w}x{h}x3")
    return psnr_stats(a, b, w, h)["rgb"]


def psnr_y(a, b, w, h):
    """Luma (BT.601) PSNR in dB."""
    return psnr_stats(a, b, w, h)["y"]


# ----------------------------------------------------------- self-check
def _selftest():
    import tempfile
    results = []
    verbose = "-v" in sys.argv

    def check(name, cond, detail=""):
        results.append(bool(cond))
        print(f"{'ok  ' if cond else 'FAIL'} {name}" + (f"  ({detail})" if detail else ""))

    tmp = tempfile.mkdtemp(prefix="op-video-util-")
    try:
        # 1. IVF round trip with ffmpeg-made streams.
        srcs = {}
        for codec, lib, fourcc in (("vp9s", "libvpx-vp9", "VP90"), ("vp8s", "libvpx", "VP80")):
            src = os.path.join(tmp, f"{codec}.ivf")
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                            "testsrc=size=320x240:rate=5", "-frames:v", "5", "-c:v", lib,
                            "-f", "ivf", src], check=True, capture_output=True, timeout=120)
            hdr, fr = read_ivf(src)
            check(f"{codec}: ffmpeg IVF header", hdr["fourcc"] == fourcc and
                  (hdr["width"], hdr["height"]) == (320, 240) and len(fr) == 5,
                  f"{hdr}, {len(fr)} frames")
            check(f"{codec}: key frame size parsed", keyframe_size(codec, fr[0][1]) == (320, 240),
                  str(keyframe_size(codec, fr[0][1])))
            check(f"{codec}: inter frame is not a key frame",
                  keyframe_size(codec, fr[1][1]) is None)
            copy = os.path.join(tmp, f"{codec}-copy.ivf")
            write_ivf_frames(copy, fourcc, 320, 240, fr)
            hdr2, fr2 = read_ivf(copy)
            check(f"{codec}: write/read round trip", fr2 == fr and hdr2["frames"] == 5)
            a, b = decode_ivf(src), decode_ivf(copy)
            check(f"{codec}: decode_ivf gives 5 frames", len(a) == 5 and a == b,
                  f"{len(a)} frames")
            check(f"{codec}: psnr(frame, frame) = inf", psnr(a[0], a[0], 320, 240) == math.inf)
            img = np.frombuffer(a[0], np.uint8).reshape(240, 320, 3)
            shifted = np.roll(img, 7, axis=1).tobytes()
            v = psnr(a[0], shifted, 320, 240)
            check(f"{codec}: psnr vs shifted frame is low", v < 20, f"{v:.1f} dB")
            last = decode_ivf(src, last_only=True)
            check(f"{codec}: last_only", last == a[-1:])
            srcs[codec] = (src, fr, a)

        # 2. Xvfb, xsetroot, xwd_grab, monitors.
        with Xvfb(640, 480) as x:
            xsetroot_solid(x.display, "#336699")
            rgb, w, h = xwd_image(x.display)
            px = np.frombuffer(rgb, np.uint8).reshape(h, w, 3)
            uniq = np.unique(px.reshape(-1, 3), axis=0)
            check("xwd_grab of xsetroot -solid #336699", (w, h) == (640, 480) and
                  len(uniq) == 1 and tuple(uniq[0]) == (0x33, 0x66, 0x99),
                  f"{w}x{h} colours {uniq[:3].tolist()}")
            png = os.path.join(tmp, "root.png")
            part = xwd_grab(x.display, png, crop=(10, 20, 100, 50))
            check("xwd_grab crop + PNG", len(part) == 100 * 50 * 3 and os.path.getsize(png) > 0)
            make_monitors(x.display, [("left", 320, 480, 0, 0), ("right", 320, 480, 320, 0)])
            mons = sorted(list_monitors(x.display), key=lambda m: m[3])
            check("make_monitors: two monitors", mons == [
                ("left", 320, 480, 0, 0), ("right", 320, 480, 320, 0)], str(mons))
            t = start_xterm(x.display, "40x10+5+5", "echo hello; exec sleep 30")
            check("start_xterm maps a window", t.poll() is None)
            stop_process(t)

        # 3. client.py video path against a scripted direct-access host.
        _client_video_selftest(check, tmp, srcs, verbose)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if all(results) else 1


def _client_video_selftest(check, tmp, srcs, verbose):
    """A fake host (plaintext, direct access) sends Hash, answers the
    login, streams the ffmpeg VP8 packets as VideoFrames on display 1, a
    cursor; the client acks, asks for refresh/switch/capture/options.  The
    host decodes what it receives independently of client.py."""
    import socket
    import threading
    import zstandard
    rp = client.rp
    mpb = client.mpb
    src, packets, decoded = srcs["vp8s"]
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    got = {"login": None, "misc": []}
    rgba = bytes(range(256)) * (16 * 16 * 4 // 256)

    def host():
        s, _ = lst.accept()
        dec = rp.FrameDecoder(1 << 22)
        pend = []

        def send(m):
            s.sendall(rp.encode_frame(m.SerializeToString()))

        def recv(timeout=5):
            end = time.monotonic() + timeout
            while not pend:
                r, _, _ = select.select([s], [], [], max(0, end - time.monotonic()))
                if not r:
                    return None
                d = s.recv(65536)
                if not d:
                    return None
                pend.extend(dec.feed(d))
            m = mpb.Message()
            m.ParseFromString(pend.pop(0))
            return m

        m = mpb.Message()
        m.hash.salt, m.hash.challenge = "salt", "challenge"
        send(m)
        lr = recv()
        got["login"] = lr.login_request
        m = mpb.Message()
        pi = m.login_response.peer_info
        pi.username, pi.platform = "u", "Linux"
        for i in range(2):
            d = pi.displays.add()
            d.x, d.y, d.width, d.height = 320 * i, 0, 320, 240
        send(m)
        for i, (pts, data) in enumerate(packets):
            m = mpb.Message()
            ef = m.video_frame.vp8s.frames.add()
            ef.data, ef.key, ef.pts = data, i == 0, pts * 200
            m.video_frame.display = 1
            send(m)
            a = recv()                      # wait for the ack (back-pressure)
            got["misc"].append(a.misc)
        m = mpb.Message()
        cd = m.cursor_data
        cd.id, cd.hotx, cd.hoty, cd.width, cd.height = 77, -1, 2, 16, 16
        cd.colors = zstandard.ZstdCompressor().compress(rgba)
        send(m)
        m = mpb.Message()
        m.cursor_id = 77
        send(m)
        m = mpb.Message()
        m.cursor_position.x, m.cursor_position.y = -5, 300
        send(m)
        m = mpb.Message()
        m.misc.switch_display.display, m.misc.switch_display.width = 1, 320
        m.misc.switch_display.height = 240
        send(m)
        while True:
            a = recv(3)
            if a is None:
                break
            got["misc"].append(a.misc)
        s.close()

    th = threading.Thread(target=host, daemon=True)
    th.start()
    c = client.Client(lst.getsockname(), direct=True, timeout=5)
    opt = client.option_message(supported_decoding=client.supported_decoding(prefer="VP8"),
                                custom_fps=15)
    pi = c.login("pw", option=opt, video_ack_required=True)
    check("client: login with video_ack_required + VP8 preference",
          not isinstance(pi, str) and got["login"].video_ack_required and
          got["login"].option.supported_decoding.prefer == 4 and
          got["login"].option.supported_decoding.ability_vp8 == 1 and
          got["login"].option.custom_fps == 15, str(got["login"].option).replace("\n", " "))
    c.wait_video(5, display=1)
    c.pump(0.5)
    vf = c.video_frames(1)
    check("client: 5 frames on display 1, none on 0",
          len(vf) == 5 and not c.video_frames(0) and vf[0].codec == "vp8s" and vf[0].frames[0][1]
          and [v.frames[0][0] for v in vf] == [p[1] for p in packets])
    st = c.video_stats(1)
    check("client: counters", st["messages"] == 5 and st["packets"] == 5 and
          st["key_frames"] == 1 and st["bytes"] == sum(len(p[1]) for p in packets), str(st))
    acks = [m for m in got["misc"] if m.WhichOneof("union") == "video_received"]
    check("client: one video_received per frame", len(acks) == 5 and c.acks_sent == 5 and
          all(m.video_received for m in acks))
    sh = c.cursors.get(77)
    check("client: cursor shape decoded", sh is not None and sh.rgba == rgba and
          (sh.hotx, sh.hoty, sh.width, sh.height) == (-1, 2, 16, 16), str(sh and sh.error))
    check("client: cursor id and position",
          [i for _, i in c.cursor_ids] == [77] and
          [(x, y) for _, x, y in c.cursor_positions] == [(-5, 300)])
    check("client: display_size from SwitchDisplay", c.display_size(1) == (320, 240))
    out = os.path.join(tmp, "client.ivf")
    n = c.write_ivf(out, display=1)
    hdr, fr = read_ivf(out)
    check("client: write_ivf", n == 5 and hdr["fourcc"] == "VP80" and
          (hdr["width"], hdr["height"]) == (320, 240) and [f[1] for f in fr] ==
          [p[1] for p in packets] and [f[0] for f in fr] == [i * 200 for i in range(5)],
          str(hdr))
    dec = decode_ivf(out)
    check("client: IVF decodes to the source pictures",
          len(dec) == 5 and all(psnr(a, b, 320, 240) == math.inf for a, b in zip(dec, decoded)))
    c.refresh_video()
    c.refresh_video(1)
    c.switch_display(1)
    c.capture_displays(set_=[0, 1], add=[1])
    c.message_query_switch_display(0)
    c.send_option(custom_fps=30, image_quality="Balanced", custom_image_quality=50 << 8,
                  show_remote_cursor=2, supported_decoding={"vp8": False, "prefer": "VP9"})
    th.join(10)
    ms = got["misc"][5:]
    kinds = [m.WhichOneof("union") for m in ms]
    check("client: control messages on the wire", kinds == [
        "refresh_video", "refresh_video_display", "switch_display", "capture_displays",
        "message_query", "option"], str(kinds))
    if len(ms) == 6:
        o = ms[5].option
        check("client: message contents",
              ms[0].refresh_video and ms[1].refresh_video_display == 1 and
              ms[2].switch_display.display == 1 and
              list(getattr(ms[3].capture_displays, "set")) == [0, 1] and
              list(ms[3].capture_displays.add) == [1] and
              ms[4].message_query.switch_display == 0 and o.custom_fps == 30 and
              o.image_quality == 3 and o.custom_image_quality == 50 << 8 and
              o.show_remote_cursor == 2 and o.supported_decoding.ability_vp8 == 0 and
              o.supported_decoding.prefer == 1, str(ms[5]).replace("\n", " "))
    if verbose:
        print(c.summary())
    c.close()
    lst.close()


if __name__ == "__main__":
    sys.exit(_selftest())


def frames(c, display=None):
    """(arrival time, VideoFrame) of every frame client c received so far."""
    return [(r.t, r.msg) for r in c.received if r.kind == "video_frame"
            and (display is None or r.msg.display == display)]


def wait_quiet(c, quiet, timeout):
    """Reads until no frame came for `quiet` seconds; False if the stream
    never went quiet within timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = len(frames(c))
        c.pump(quiet)
        if len(frames(c)) == n:
            return True
    return False

