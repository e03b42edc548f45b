#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Video benchmark: the agent streaming a private 1920x1080 Xvfb to the
independent test client (tests/peers/client.py), next to an ffmpeg
x11grab + libvpx baseline encoding the same scripted workload.

Workloads (each restarted from the same state for every run):
  scroll  full-screen xterm, 6x13 font, numbered deterministic lines at a
          fixed rate (--scroll-rate lines/s)
  typing  full-screen xterm running cat; xdotool types a fixed text at
          --type-rate chars/s
  static  solid root window and one idle xterm; nothing changes
  video   xanim.c: a full-screen 1920x1080 window panning over a texture
          at --fps, every pixel changing (MIT-SHM PutImage)
  ffplay  (extra) ffplay -fs of lavfi testsrc2 1920x1080 at 30 fps

For each workload x codec (VP9, VP8): the agent (one daemon per codec,
config display.x11, video.codec, video.max_fps) with a client logged in
with video_ack_required that acks every frame; then ffmpeg.  Each run
warms up (--warmup s) and is measured over --seconds.  At the end the
workload is frozen (SIGSTOP), the last frame is decoded and compared with
an xwd screenshot of the frozen screen (PSNR, RGB).

    /usr/bin/python3 tests/bench/video/run.py [--seconds 20] [--baseline-only]
        [--workloads scroll,typing,static,video] [--codecs vp9,vp8]
        [--outpost PATH] [--json out.json]
Not run by CI.  See README.md next to this file.
"""
import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
sys.path.insert(0, os.path.join(SRC, "tests", "peers"))
import video_util as vu  # noqa: E402
import client  # noqa: E402

HZ = os.sysconf("SC_CLK_TCK")
W, H = 1920, 1080
PASSWORD = "video bench password"
WORKLOADS = ("scroll", "typing", "static", "video")
EXTRA_WORKLOADS = ("ffplay", "scrollkey")
CODECS = ("vp9", "vp8")
BG = "#2e3440"
# §7.3: base bitrate for 1920x1080 and the Balanced ratio (0.67), used for
# the ffmpeg baseline when the agent's target is unknown.
DEFAULT_KBPS = round(2073 * 0.67)
# ImageQuality (§7.3): Low 2, Balanced 3, Best 4; a number is custom %.
QUALITY = {"low": 2, "balanced": 3, "best": 4}
WINDOW_S = 2.0

PRINTER = r"""
import sys, time
words = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod "
         "tempor incididunt ut labore et dolore magna aliqua ut enim ad minim "
         "veniam quis nostrud exercitation ullamco laboris nisi").split()
rate = float(sys.argv[1]); t0 = time.monotonic(); i = 0; x = 12345
while True:
    d = t0 + i / rate - time.monotonic()
    if d > 0:
        time.sleep(d)
    x = (x * 1103515245 + 12345) & 0x7fffffff
    n = 6 + x % 40
    line = " ".join(words[(x >> (k % 20) ^ k * 7) % len(words)] for k in range(n))
    sys.stdout.write("%08d %s\n" % (i, line[:300]))
    sys.stdout.flush()
    i += 1
"""

# scrollkey: bursts of scrolling (1.5 s at the rate), then the screen is
# still for 0.4 s (the agent refines the picture), then one character is
# printed, as a keystroke's echo would be; 1.6 s later the next burst.
SCROLLKEY = PRINTER.replace("""while True:
    d = t0 + i / rate - time.monotonic()""", """while True:
    if i % int(rate * 1.5) == 0 and i > 0:
        time.sleep(0.4); sys.stdout.write("#"); sys.stdout.flush()
        time.sleep(1.6); t0 = time.monotonic() - i / rate
    d = t0 + i / rate - time.monotonic()""")


def typing_text(nchars):
    words = ("the quick brown fox jumps over the lazy dog while remote support "
             "agents stream pixels across the network").split()
    out, line, x = [], "", 777
    while sum(len(s) for s in out) + len(line) < nchars:
        x = (x * 1103515245 + 12345) & 0x7fffffff
        w = words[x % len(words)]
        if len(line) + len(w) + 1 > 64:
            out.append(line + "\n")
            line = ""
        line += (" " if line else "") + w
    out.append(line)
    return "".join(out)[:nchars]


# ------------------------------------------------------------ /proc
def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Sampler:
    """CPU seconds and max RSS of one pid over a window."""

    def __init__(self, pid):
        self.pid = pid
        self.t0 = time.monotonic()
        self.cpu0 = cpu_seconds(pid)
        self.rss_max = rss_kib(pid)

    def sample(self):
        self.rss_max = max(self.rss_max, rss_kib(self.pid))

    def done(self):
        self.sample()
        dt = time.monotonic() - self.t0
        cpu = cpu_seconds(self.pid) - self.cpu0
        return {"wall_s": dt, "cpu_s": cpu, "cpu_pct": 100.0 * cpu / dt,
                "rss_mib": self.rss_max / 1024.0}


# ---------------------------------------------------------- workloads
class Workload:
    """Starts a scripted screen activity on display; freeze() stops all
    drawing (SIGSTOP), stop() ends it and restores the background."""

    def __init__(self, name, x, a):
        self.name, self.x, self.a = name, x, a
        self.procs = []

    def _xterm(self, geometry, cmd, font="6x13"):
        p = vu.start_xterm(self.x.display, geometry, cmd, font=font,
                           extra=("-b", "0", "-bw", "0", "-j"))
        self.procs.append(p)
        return p

    def start(self):
        vu.xsetroot_solid(self.x.display, BG)
        subprocess.run(["xdotool", "mousemove", str(W - 1), str(H - 1)], env=self.x.env,
                       check=True)
        full = f"{W // 6}x{H // 13}+0+0"
        if self.name == "scroll":
            self._xterm(full, f"exec /usr/bin/python3 -c '{PRINTER}' {self.a.scroll_rate}")
        elif self.name == "scrollkey":
            self._xterm(full, f"exec /usr/bin/python3 -c '{SCROLLKEY}' {self.a.scroll_rate}")
        elif self.name == "typing":
            t = self._xterm(full, "printf 'typing test\\n'; exec cat")
            wid = vu.wait_window(self.x.display, t.pid)
            # No window manager: give the xterm the keyboard focus explicitly.
            subprocess.run(["xdotool", "windowfocus", "--sync", wid], env=self.x.env,
                           check=True, timeout=10)
            time.sleep(0.3)
            n = int(self.a.type_rate * (self.a.seconds + self.a.warmup + 30))
            delay = max(1, round(2000 / self.a.type_rate))  # xdotool: delay/2 per key
            p = subprocess.Popen(["xdotool", "type", "--delay", str(delay), typing_text(n)],
                                 env=self.x.env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
            self.procs.append(p)
        elif self.name == "static":
            self._xterm("100x30+200+150", "printf 'Outpost video bench: static desktop\\n"
                        "nothing changes here\\n'; ls -la / ; exec sleep 100000", font="fixed")
        elif self.name == "video":
            p = subprocess.Popen([self.a.xanim, str(W), str(H), str(self.a.fps)],
                                 env=self.x.env, stdout=subprocess.DEVNULL,
                                 start_new_session=True)
            self.procs.append(p)
            time.sleep(1.0)
            if p.poll() is not None:
                raise RuntimeError("xanim exited")
        elif self.name == "ffplay":
            p = subprocess.Popen(["ffplay", "-fs", "-an", "-loglevel", "error",
                                  "-f", "lavfi", "-i",
                                  f"testsrc2=size={W}x{H}:rate=30"],
                                 env=self.x.env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
            self.procs.append(p)
            vu.wait_window(self.x.display, p.pid)
        else:
            raise ValueError(self.name)
        time.sleep(0.5)
        return self

    def freeze(self):
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGSTOP)
            except ProcessLookupError:
                pass

    def stop(self):
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
            vu.stop_process(p)
        self.procs = []
        vu.xsetroot_solid(self.x.display, BG)
        time.sleep(0.2)


def last_frame_psnr(ivf, x, size=(W, H), grab=None):
    """PSNR (RGB, Y) of the last picture of ivf against a screenshot now:
    grab() -> rgb24 bytes of size (default: xwd of x's root window)."""
    grab = vu.xwd_grab(x.display) if grab is None else grab()
    hdr, _ = vu.read_ivf(ivf)
    w, h = hdr["width"], hdr["height"]
    if (w, h) != tuple(size):
        return {"psnr": None, "psnr_y": None, "psnr_note": f"stream is {w}x{h}"}
    last = decode_last(ivf, w, h)
    st = vu.psnr_stats(last, grab, w, h)
    return {"psnr": st["rgb"], "psnr_y": st["y"]}


def decode_last(ivf, w, h):
    """The last decoded picture (rgb24), streaming ffmpeg's output."""
    n = w * h * 3
    p = subprocess.Popen(["ffmpeg", "-v", "error", "-i", ivf, "-fps_mode", "passthrough",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    last, buf = None, bytearray()
    while True:
        chunk = p.stdout.read(1 << 20)
        if not chunk:
            break
        buf += chunk
        while len(buf) >= n:
            last = bytes(buf[:n])
            del buf[:n]
    p.wait()
    if last is None:
        raise RuntimeError(f"ffmpeg decoded nothing from {ivf}")
    return last


# ------------------------------------------------------------ ffmpeg
class FFmpegRun:
    def __init__(self, x, codec, kbps, out, a):
        vpx = (["-c:v", "libvpx-vp9", "-cpu-used", str(a.vp9_speed), "-row-mt", "1",
                "-tile-columns", "2"] if codec == "vp9" else
               ["-c:v", "libvpx", "-cpu-used", str(a.vp8_speed)])
        self.cmd = (["ffmpeg", "-v", "error", "-nostdin", "-progress", "pipe:1",
                     "-stats_period", "0.5", "-f", "x11grab", "-draw_mouse", "0",
                     "-framerate", str(a.fps), "-video_size", f"{W}x{H}", "-i", x.display]
                    + vpx + ["-deadline", "realtime", "-b:v", f"{kbps}k",
                             "-minrate", f"{kbps}k", "-maxrate", f"{kbps}k",
                             "-qmin", str(a.qmin), "-qmax", str(a.qmax),
                             "-lag-in-frames", "0", "-undershoot-pct", "95",
                             "-drop-threshold", str(a.drop_threshold),
                             "-error-resilient", "default",
                             "-g", "100000", "-flush_packets", "1", "-f", "ivf", "-y", out])
        self.out = out
        self.progress = []              # (t, frame, total_size)
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=x.env)
        self.err = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self.err.extend(self.proc.stderr),
                         daemon=True).start()

    def _read(self):
        cur = {}
        for line in self.proc.stdout:
            k, _, v = line.strip().partition("=")
            cur[k] = v
            if k == "progress":
                try:
                    self.progress.append((time.monotonic(), int(cur.get("frame", 0)),
                                          int(cur.get("total_size", 0))))
                except ValueError:
                    pass

    def last(self):
        return self.progress[-1] if self.progress else (time.monotonic(), 0, 0)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def run_ffmpeg(x, wl_name, codec, kbps, a, tmp):
    wl = Workload(wl_name, x, a).start()
    out = os.path.join(tmp, f"ffmpeg-{wl_name}-{codec}.ivf")
    r = {"side": "ffmpeg", "workload": wl_name, "codec": codec, "kbps_setting": kbps}
    f = FFmpegRun(x, codec, kbps, out, a)
    try:
        deadline = time.monotonic() + 15
        while not f.progress or f.last()[1] == 0:
            if f.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("ffmpeg did not start: " + "".join(f.err)[-800:])
            time.sleep(0.1)
        time.sleep(a.warmup)
        s = Sampler(f.proc.pid)
        t0, p0, i0 = time.monotonic(), f.last(), ivf_count(out)
        end = t0 + a.seconds
        while time.monotonic() < end:
            time.sleep(0.5)
            s.sample()
        t1, p1, i1 = time.monotonic(), f.last(), ivf_count(out)
        r.update(s.done())
        dt = t1 - t0
        # Frames written (the encoder drops some when over budget) and
        # frames captured (ffmpeg's progress counter).
        r.update(frames=i1[0] - i0[0], fps=(i1[0] - i0[0]) / dt,
                 kbps=(i1[1] - i0[1]) * 8 / dt / 1000,
                 key_frames=i1[2] - i0[2],
                 capture_fps=(p1[1] - p0[1]) / (p1[0] - p0[0]) if p1[0] > p0[0] else None)
        wl.freeze()
        time.sleep(0.5)
        grab_psnr = None
        f.stop()
        if os.path.exists(out) and os.path.getsize(out) > 32:
            grab_psnr = last_frame_psnr(out, x)
            r.update(grab_psnr)
        r["ok"] = True
    except Exception as e:
        r["ok"] = False
        r["error"] = f"{type(e).__name__}: {e}"
    finally:
        f.stop()
        wl.stop()
        if not a.keep and os.path.exists(out):
            os.unlink(out)
    per_frame(r)
    return r


def ivf_count(path):
    """(frames, payload bytes, key frames) of the complete frames in an IVF
    being written (ffmpeg buffers: the tail may be missing)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return 0, 0, 0
    n = size = keys = 0
    pos = 32
    while pos + 12 <= len(data):
        sz = int.from_bytes(data[pos:pos + 4], "little")
        if pos + 12 + sz > len(data):
            break
        if sz and not (data[pos + 12] & 1 if data[8:12] == b"VP80"
                       else client.keyframe_size("vp9s", data[pos + 12:pos + 12 + sz]) is None):
            keys += 1
        n, size, pos = n + 1, size + sz, pos + 12 + sz
    return n, size, keys


def window_kbps(sizes, t0, t1):
    """Min and max kbit/s over the WINDOW_S windows of [t0, t1] that start
    at t0 or at a frame, of [(t, bytes)] received."""
    if t1 - t0 < WINDOW_S or not sizes:
        return {}
    sizes = sorted(sizes)
    rates = []
    for ws in [t0] + [t for t, _ in sizes if t + WINDOW_S <= t1]:
        acc = sum(b for t, b in sizes if ws <= t < ws + WINDOW_S)
        rates.append(acc * 8 / WINDOW_S / 1000)
    return {"kbps_win_min": min(rates), "kbps_win_max": max(rates)}


def per_frame(r):
    if r.get("ok") and r.get("fps"):
        r["fps_per_core"] = r["fps"] / max(r["cpu_pct"] / 100.0, 1e-6)
        r["cpu_ms_per_frame"] = 1000.0 * r["cpu_s"] / max(r["frames"], 1)


# ------------------------------------------------------------- agent
class AgentHost:
    """One outpost daemon (tests/integration/agent.py) on the Xvfb, or
    on what display_yaml (a `display:` config block) names."""

    def __init__(self, x, codec, a, tmp, display_yaml=None):
        from agent import Agent
        self.tmp = tempfile.mkdtemp(prefix=f"agent-{codec}-", dir=tmp)
        disp = display_yaml or (f"display:\n  x11: \"{x.display}\"\n  virtual:\n    mode: never\n")
        extra = f"video:\n  codec: {codec}\n  max_fps: {a.fps}\n"
        self.agent = Agent(self.tmp, display=disp, extra=extra)
        with open(self.agent.config) as fh:
            cfg = fh.read()
        with open(self.agent.config, "w") as fh:     # per-frame debug logs would cost CPU
            fh.write(cfg.replace("level: debug", f"level: {a.agent_log_level}"))
        self.agent.set_password(PASSWORD + "\n")
        self.agent.start()
        self.agent.wait_status(lambda s: True, timeout=10)

    @property
    def pid(self):
        """The network process (it runs the sessions: their grabbing,
        encoding and memory); the monitor's pid without privilege
        separation."""
        st = self.agent.status()
        return (st.get("monitor") or {}).get("network_pid") or self.agent.proc.pid

    @property
    def monitor_pid(self):
        return self.agent.proc.pid

    def stop(self):
        return self.agent.stop()


def write_frame_log(path, frames, t0):
    """One line per received frame: seconds from the window's start
    (negative: warm-up), bytes, 1 for a key frame."""
    with open(path, "w") as fh:
        for v in frames:
            fh.write("%.3f %d %d\n" % (v.t - t0, sum(len(f[0]) for f in v.frames),
                                        int(any(f[1] for f in v.frames))))


def agent_streams(st):
    try:
        return st["video"]["streams"]
    except (KeyError, TypeError):
        return None


def run_agent(host, x, wl_name, codec, a, tmp, workload=None, psnr=None, pids=None):
    """workload: a started-able workload (start/freeze/stop) instead of
    Workload(wl_name) on x; psnr(ivf) -> {psnr, psnr_y} instead of an xwd
    of x; pids: {name: pid} whose CPU % over the window is reported as
    NAME_cpu_pct (tests/bench/video/wayland.py passes all three)."""
    wl = (workload or Workload(wl_name, x, a)).start()
    r = {"side": "agent", "workload": wl_name, "codec": codec}
    c = None
    ivf = os.path.join(tmp, f"agent-{wl_name}-{codec}.ivf")
    try:
        c = client.Client(("127.0.0.1", host.agent.direct_port), direct=True,
                          auto_ack=True, timeout=10)
        qopt = {}
        if a.quality in QUALITY:
            qopt["image_quality"] = QUALITY[a.quality]
        else:
            qopt["custom_image_quality"] = int(a.quality) << 8
        opt = client.option_message(
            supported_decoding=client.supported_decoding(prefer=codec.upper()),
            custom_fps=a.fps, **qopt)
        pi = c.login(PASSWORD, option=opt, video_ack_required=True)
        if isinstance(pi, str) or pi is None:
            raise RuntimeError(f"login: {pi!r}")
        c.wait_video(1, timeout=10)
        c.pump(a.warmup)
        st0 = None
        streams0 = agent_streams(host.agent.status())
        if streams0:
            st0 = next((s for s in streams0 if s.get("display") == 0), streams0[0])
        s = Sampler(host.pid)
        mon = Sampler(host.monitor_pid) if host.monitor_pid != s.pid else None
        others = {k: Sampler(p) for k, p in (pids or {}).items()}
        t0 = time.monotonic()
        end = t0 + a.seconds
        while time.monotonic() < end:
            if not c.pump(min(0.5, max(0.0, end - time.monotonic()))):
                raise RuntimeError(f"session closed: {c.close_reason!r}")
            s.sample()
            if mon:
                mon.sample()
        t1 = time.monotonic()
        r.update(s.done())
        if mon:
            m = mon.done()
            r.update(monitor_cpu_pct=m["cpu_pct"], monitor_rss_mib=m["rss_mib"])
        for k, o in others.items():
            r[k + "_cpu_pct"] = o.done()["cpu_pct"]
        win = [v for v in c.video_frames() if t0 <= v.t <= t1]
        if getattr(a, "frame_log", None):
            write_frame_log(f"{a.frame_log}-{wl_name}-{codec}.txt", c.video_frames(), t0)
        pk = [f for v in win for f in v.frames]
        # A VideoFrame is one picture shown: a VP8 scroll may carry the
        # pictures in between before it (decoded, not shown).
        shown = [v for v in win if v.frames]
        r.update(frames=len(shown), fps=len(shown) / (t1 - t0),
                 packets_per_s=len(pk) / (t1 - t0),
                 kbps=sum(len(f[0]) for f in pk) * 8 / (t1 - t0) / 1000,
                 key_frames=sum(1 for f in pk if f[1]),
                 codecs=sorted({v.codec for v in win}),
                 acks=c.acks_sent)
        r.update(window_kbps([(v.t, sum(len(f[0]) for f in v.frames)) for v in win],
                             t0, t1))
        st = host.agent.status()
        streams = agent_streams(st)
        r["status_streams"] = streams
        r["display_backend"] = (st.get("display") or {}).get("backend")
        if streams:
            s0 = next((s for s in streams if s.get("display") == 0), streams[0])
            for k in ("capture_ms", "convert_ms", "encode_ms", "q_avg", "latency_ms_p50",
                      "latency_ms_p95", "change_ms_p50", "change_ms_p95",
                      "change_ms_max", "kbps_target", "fps_target"):
                if k in s0:
                    r[k] = s0[k]
            # Counters over the measured window: DAMAGE notifications per
            # second and frames that waited (budget, acks, socket).
            if st0 is not None:
                for k in ("damage", "rate_waits", "ack_waits", "queue_waits", "skipped"):
                    if k in s0 and k in st0:
                        r[k + "_per_s"] = (s0[k] - st0[k]) / (t1 - t0)
                # Frames coded at the top quantizer: their size is the
                # content's, so the budget sets the fps.
                if "q_top" in s0 and "q_top" in st0 and s0["frames"] > st0["frames"]:
                    r["q_top_pct"] = 100.0 * (s0["q_top"] - st0["q_top"]) / (s0["frames"] - st0["frames"])
        wl.freeze()
        c.pump(a.settle)
        c.write_ivf(ivf, display=0)
        r.update(last_frame_psnr(ivf, x) if psnr is None else psnr(ivf))
        r["ok"] = True
    except Exception as e:
        r["ok"] = False
        r["error"] = f"{type(e).__name__}: {e}"
        if c is not None:
            r["client"] = c.summary()
    finally:
        if c is not None:
            c.close()
        wl.stop()
        if not a.keep and os.path.exists(ivf):
            os.unlink(ivf)
    per_frame(r)
    return r


# ------------------------------------------------------------ output
ROWS = [("capture ms/frame", "capture_ms", "{:.2f}"), ("convert ms/frame", "convert_ms", "{:.2f}"),
        ("encode ms/frame", "encode_ms", "{:.2f}"), ("cpu ms/frame", "cpu_ms_per_frame", "{:.2f}"),
        ("quantizer avg", "q_avg", "{:.1f}"), ("top-q frames %", "q_top_pct", "{:.0f}"),
        ("fps", "fps", "{:.1f}"), ("packets/s (VP8: + in between)", "packets_per_s", "{:.1f}"),
        ("captured fps", "capture_fps", "{:.1f}"),
        ("key frames", "key_frames", "{}"), ("CPU % (one core)", "cpu_pct", "{:.1f}"),
        ("fps per CPU core", "fps_per_core", "{:.1f}"), ("RSS MiB", "rss_mib", "{:.1f}"),
        ("monitor CPU %", "monitor_cpu_pct", "{:.1f}"), ("monitor RSS MiB", "monitor_rss_mib", "{:.1f}"),
        ("kbit/s", "kbps", "{:.0f}"), ("kbit/s target", "kbps_target", "{:.0f}"),
        ("kbit/s 2s win min", "kbps_win_min", "{:.0f}"),
        ("kbit/s 2s win max", "kbps_win_max", "{:.0f}"),
        ("damage events/s", "damage_per_s", "{:.1f}"),
        ("rate-waits/s", "rate_waits_per_s", "{:.1f}"),
        ("ack-waits/s", "ack_waits_per_s", "{:.1f}"),
        ("queue-waits/s", "queue_waits_per_s", "{:.1f}"),
        ("latency p50 ms", "latency_ms_p50", "{:.1f}"),
        ("latency p95 ms", "latency_ms_p95", "{:.1f}"),
        ("change->sent p50 ms", "change_ms_p50", "{:.1f}"),
        ("change->sent p95 ms", "change_ms_p95", "{:.1f}"),
        ("change->sent max ms", "change_ms_max", "{:.1f}"), ("PSNR dB (RGB)", "psnr", "{:.2f}"),
        ("PSNR dB (Y)", "psnr_y", "{:.2f}"), ("frames", "frames", "{}")]


def fmt(r, key, f):
    if r is None or not r.get("ok"):
        return "-" if r is None else "error"
    v = r.get(key)
    if v is None:
        return "n/a"
    if isinstance(v, float) and math.isinf(v):
        return "inf"
    return f.format(v)


def print_table(wl, codec, ag, ff):
    print(f"\n== {wl} / {codec.upper()} ==")
    print(f"{'':22}{'agent':>12}{'ffmpeg':>12}")
    for label, key, f in ROWS:
        print(f"{label:22}{fmt(ag, key, f):>12}{fmt(ff, key, f):>12}")
    for side, r in (("agent", ag), ("ffmpeg", ff)):
        if r is not None and not r.get("ok"):
            print(f"  {side} error: {r.get('error')}")
    if ff is not None and ff.get("ok"):
        print(f"  ffmpeg: -b:v {ff['kbps_setting']}k (CBR), fps = frames written "
              "(libvpx drops frames over budget), captured fps = x11grab")
    if wl in ("scroll", "typing", "video"):
        print("  PSNR: last frame after the workload was frozen (SIGSTOP) vs xwd of "
              "the frozen screen; the frame encodes motion, so it is approximate")


def goals(results):
    by = {(r["side"], r["workload"], r["codec"]): r for r in results}
    lines = []

    def line(ok, text):
        lines.append(("n/a " if ok is None else "PASS" if ok else "MISS") + " " + text)

    def ag(w, c):
        r = by.get(("agent", w, c))
        return r if r and r.get("ok") else None

    # Issue 17: scrolling at >= 30 fps within 4 Mbit/s at >= 35 dB; the
    # rate within +-25 % of the target over every 2 s window (moving
    # workloads: full content fills the budget); full motion >= 28 fps;
    # a VP9 session < 80 MiB RSS.
    for c in CODECS:
        r = ag("scroll", c)
        ok = None if r is None or r.get("psnr") is None else (
            r["fps"] >= 30 and r["kbps"] <= 4000 and r["psnr"] >= 35)
        line(ok, f"scrolling 1080p {c.upper()} >= 30 fps at <= 4000 kbit/s, >= 35 dB"
             + (f": {r['fps']:.1f} fps, {r['kbps']:.0f} kbit/s, {r.get('psnr') or 0:.1f} dB"
                if r else ""))
        for w in ("scroll", "video"):
            r = ag(w, c)
            ok = None
            if r is not None and r.get("kbps_target") and r.get("kbps_win_max") is not None:
                ok = r["kbps_win_max"] <= 1.25 * r["kbps_target"]
            line(ok, f"{w} {c.upper()}: every 2 s window <= target + 25 %"
                 + (f": max {r['kbps_win_max']:.0f}, min {r['kbps_win_min']:.0f} vs "
                    f"{r['kbps_target']} kbit/s" if ok is not None else ""))
        r = ag("video", c)
        line(None if r is None else r["fps"] >= 28,
             f"video {c.upper()} >= 28 fps" + (f": {r['fps']:.1f}" if r else ""))
    for w in WORKLOADS:
        r = ag(w, "vp9")
        line(None if r is None else r["rss_mib"] < 80,
             f"{w} VP9 RSS < 80 MiB" + (f": {r['rss_mib']:.1f}" if r else ""))
    for c in CODECS:
        r = ag("static", c)
        line(None if r is None else r["cpu_pct"] < 1.0,
             f"static {c.upper()} < 1% of one core" + (f": {r['cpu_pct']:.2f}%" if r else ""))
        r = ag("typing", c)
        ok = None if r is None or r.get("psnr") is None else (
            r["kbps"] < 300 and r["psnr"] >= 35)
        line(ok, f"typing {c.upper()} < 300 kbit/s at >= 35 dB"
             + (f": {r['kbps']:.0f} kbit/s, {r.get('psnr') or 0:.1f} dB" if r else ""))
    for (side, w, c), r in sorted(by.items()):
        if side != "agent":
            continue
        f = by.get(("ffmpeg", w, c))
        a_ = ag(w, c)
        ok = None
        if a_ and f and f.get("ok") and a_.get("fps_per_core") and f.get("fps_per_core"):
            ok = a_["fps_per_core"] > f["fps_per_core"]
        line(ok, f"{w} {c.upper()}: agent fps/core > ffmpeg"
             + (f": {a_['fps_per_core']:.1f} vs {f['fps_per_core']:.1f}" if ok is not None
                else ""))
        # ffmpeg encodes every captured frame, changed or not: where the
        # screen changes slower than 30/s its fps counts repeats, so
        # the CPU each side spent on the same screen is shown too.
        if a_ and f and f.get("ok") and a_.get("cpu_pct") is not None:
            lines.append(f"info {w} {c.upper()}: CPU for the same screen "
                         f"{a_['cpu_pct']:.1f}% vs {f['cpu_pct']:.1f}% of a core")
    return lines


def json_safe(o):
    """inf/nan -> the strings 'inf'/'nan' (strict JSON)."""
    if isinstance(o, float) and not math.isfinite(o):
        return str(o)
    if isinstance(o, dict):
        return {k: json_safe(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [json_safe(v) for v in o]
    return o


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--settle", type=float, default=1.0,
                    help="seconds to read after freezing, before the PSNR grab")
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--codecs", default=",".join(CODECS))
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--quality", default="balanced",
                    help="the client's image quality: low, balanced, best, or a "
                         "custom percent (§7.3 ratio = percent x 2 / 100)")
    ap.add_argument("--kbps", type=int, default=None,
                    help="ffmpeg -b:v (default: the agent's kbps_target, else "
                         f"{DEFAULT_KBPS} = §7.3 1080p Balanced)")
    ap.add_argument("--vp9-speed", type=int, default=7)
    ap.add_argument("--vp8-speed", type=int, default=12)
    ap.add_argument("--drop-threshold", type=int, default=25,
                    help="ffmpeg libvpx frame-drop threshold (RustDesk: 25; 0 = never drop)")
    ap.add_argument("--qmin", type=int, default=12, help="ffmpeg -qmin (RustDesk Balanced)")
    ap.add_argument("--qmax", type=int, default=56, help="ffmpeg -qmax (RustDesk Balanced)")
    ap.add_argument("--scroll-rate", type=float, default=100.0, help="lines/s")
    ap.add_argument("--type-rate", type=float, default=8.0, help="chars/s")
    ap.add_argument("--baseline-only", action="store_true", help="workloads + ffmpeg only")
    ap.add_argument("--agent-only", action="store_true",
                    help="workloads + agent only (no ffmpeg baseline)")
    ap.add_argument("--outpost", default=os.environ.get("OUTPOST") or os.path.join(
        SRC, "build", "release", "agent", "outpost"))
    ap.add_argument("--agent-log-level", default="info")
    ap.add_argument("--json", default=None, help="write all results here")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir and IVF files")
    ap.add_argument("--frame-log", default=None, metavar="PREFIX",
                    help="write PREFIX-WORKLOAD-CODEC.txt: time, bytes, key of every frame received")
    a = ap.parse_args()
    wls = [w for w in a.workloads.split(",") if w]
    codecs = [c for c in a.codecs.split(",") if c]
    for w in wls:
        if w not in WORKLOADS + EXTRA_WORKLOADS:
            sys.exit(f"unknown workload {w}")
    for c in codecs:
        if c not in CODECS:
            sys.exit(f"unknown codec {c}")
    if not a.baseline_only:
        if not os.path.exists(a.outpost):
            sys.exit(f"no agent binary {a.outpost} (build it, pass --outpost or "
                     "--baseline-only)")
        os.environ["OUTPOST"] = os.path.abspath(a.outpost)
    tmp = tempfile.mkdtemp(prefix="op-bench-video-")
    os.chmod(tmp, 0o755)
    a.xanim = os.path.join(tmp, "xanim")
    if "video" in wls:
        subprocess.run(["cc", "-O2", "-o", a.xanim, os.path.join(HERE, "xanim.c"),
                        "-lxcb", "-lxcb-shm"], check=True)
    results = []
    meta = {"quality": a.quality, "loadavg": os.getloadavg(), "seconds": a.seconds, "warmup": a.warmup, "fps": a.fps, "size": f"{W}x{H}",
            "vp9_speed": a.vp9_speed, "vp8_speed": a.vp8_speed, "qmin": a.qmin,
            "drop_threshold": a.drop_threshold,
            "qmax": a.qmax,
            "scroll_rate": a.scroll_rate, "type_rate": a.type_rate,
            "outpost": None if a.baseline_only else a.outpost, "cpus": os.cpu_count()}
    print(f"video bench: {W}x{H}, {a.seconds:g} s per run (+{a.warmup:g} s warm-up), "
          f"workloads {wls}, codecs {codecs}" + (", baseline only" if a.baseline_only else
                                                 f", agent {a.outpost}"))
    x = vu.Xvfb(W, H)
    try:
        for codec in codecs:
            host = None
            if not a.baseline_only:
                try:
                    host = AgentHost(x, codec, a, tmp)
                except Exception as e:
                    print(f"agent ({codec}) did not start: {e}")
            for wl in wls:
                ag = ff = None
                if host is not None:
                    ag = run_agent(host, x, wl, codec, a, tmp)
                    results.append(ag)
                    if not ag.get("ok") and host.agent.proc.poll() is not None:
                        print("agent exited:\n" + host.agent.log()[-2000:])
                        host = None
                elif not a.baseline_only:
                    ag = {"side": "agent", "workload": wl, "codec": codec, "ok": False,
                          "error": "agent not running"}
                    results.append(ag)
                kbps = a.kbps or (ag or {}).get("kbps_target") or DEFAULT_KBPS
                if not a.agent_only:
                    ff = run_ffmpeg(x, wl, codec, int(kbps), a, tmp)
                    results.append(ff)
                print_table(wl, codec, ag, ff)
                sys.stdout.flush()
            if host is not None:
                code = host.stop()
                if code not in (0, None):
                    print(f"agent ({codec}) exit code {code}:\n" + host.agent.log()[-2000:])
    finally:
        x.stop()
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}")
    print("\n== goals ==")
    g = goals(results)
    for ln in g:
        print(ln)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(json_safe({"meta": meta, "results": results, "goals": g}), f,
                      indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
