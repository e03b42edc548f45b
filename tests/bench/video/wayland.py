#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Video bench of the Wayland backends (issue 13) beside X11 in the same
run: for each size x display x codec, the display is started at that
size, gtk_scroll.py (a GTK 3 client printing numbered lines at
--scroll-rate lines/s, full-screen, the same program on every display)
runs on it, one agent (tests/integration/agent.py) streams it to the
test client (tests/peers/client.py, acking every frame), measured over
--seconds by run.py's run_agent.

Displays:
  x11     private Xvfb, agent config display.x11 (the X11 backend)
  sway    headless sway as a test user (sway_util), display.wayland =
          its socket (the wlr backend: wlr-screencopy)
  mutter  headless mutter --no-x11 as a test user with its own session
          bus and PipeWire (mutter_util), display.wayland = its
          wayland-0 (the mutter backend: RemoteDesktop/ScreenCast)

PSNR of the last frame after the workload is frozen (SIGSTOP), against
the display's own screenshot: xwd (X11), grim (sway); plain Mutter has
no screenshot tool without GNOME Shell: n/a.

    /usr/bin/python3 tests/bench/video/wayland.py [--seconds 10]
        [--sizes 1280x720,1920x1080] [--displays x11,sway,mutter]
        [--codecs vp9] [--quality balanced] [--json out.json]
Not run by CI.  See README.md next to this file."""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import run as bench
from run import vu  # run.py put tests/integration on sys.path

# sway_util and mutter_util, imported in main() once OUTPOST is set
# (tests/integration/common.py reads it at import).
su = mu = None

PY = "/usr/bin/python3"
GTK_SCROLL = os.path.join(bench.HERE, "gtk_scroll.py")
DISPLAYS = ("x11", "sway", "mutter")
NO_VIRTUAL = "  virtual:\n    mode: never\n"


class X11Desk:
    """A private Xvfb (no window manager)."""
    kind = "x11"

    def __init__(self, w, h, log_dir):
        self.x = vu.Xvfb(w, h)
        self.pid = self.x.pid
        self.display_yaml = f"display:\n  x11: \"{self.x.display}\"\n" + NO_VIRTUAL

    def client(self, argv):
        return subprocess.Popen(argv, env=dict(self.x.env, GDK_BACKEND="x11",
                                               NO_AT_BRIDGE="1"),
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True, start_new_session=True)

    def grab(self):
        return vu.xwd_grab(self.x.display)

    def stop(self):
        self.x.stop()


class SwayDesk:
    """Headless sway (pixman) as the test user."""
    kind = "sway"

    def __init__(self, w, h, log_dir):
        self.s = su.Sway(mode=f"{w}x{h}", log_dir=log_dir).start()
        self.pid = self.s.proc.pid
        self.display_yaml = f"display:\n  wayland: \"{self.s.socket}\"\n" + NO_VIRTUAL

    def client(self, argv):
        env = dict(self.s.env, GDK_BACKEND="wayland", GDK_SCALE="1", NO_AT_BRIDGE="1")
        return subprocess.Popen(self.s.as_user(argv), env=env, cwd=self.s.home,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True, start_new_session=True)

    def grab(self):
        return self.s.grim_ppm().tobytes()

    def stop(self):
        self.s.stop()


class MutterDesk:
    """Headless mutter --no-x11 with its session bus and PipeWire."""
    kind = "mutter"
    grab = None

    def __init__(self, w, h, log_dir):
        self.m = mu.Mutter(log_dir=log_dir, mode=(w, h)).start()
        self.pid = self.m.procs["mutter"].pid
        sock = os.path.join(self.m.runtime_dir, "wayland-0")
        self.display_yaml = f"display:\n  wayland: \"{sock}\"\n" + NO_VIRTUAL

    def client(self, argv):
        return self.m.client(argv)

    def stop(self):
        self.m.stop()


DESKS = {d.kind: d for d in (X11Desk, SwayDesk, MutterDesk)}


class GtkScroll:
    """run.py's workload interface (start/freeze/stop) for gtk_scroll.py
    on a desk."""

    def __init__(self, desk, w, h, rate):
        self.desk, self.w, self.h, self.rate = desk, w, h, rate
        self.proc = None

    def start(self):
        self.proc = self.desk.client([PY, GTK_SCROLL, str(self.w), str(self.h),
                                      str(self.rate)])
        line = mu.Mutter.wait_line(self.proc, "mapped", timeout=20)
        if line != f"mapped {self.w} {self.h}":
            raise RuntimeError(f"gtk_scroll: {line!r}, wanted {self.w}x{self.h}")
        return self

    def freeze(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGSTOP)

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                os.kill(self.proc.pid, signal.SIGCONT)
            vu.stop_process(self.proc)
            self.proc = None
        time.sleep(0.3)


def psnr_of(desk, w, h):
    if desk.grab is None:
        return lambda ivf: {"psnr": None, "psnr_y": None,
                            "psnr_note": f"no screenshot tool for {desk.kind}"}
    return lambda ivf: bench.last_frame_psnr(ivf, None, size=(w, h), grab=desk.grab)


def run_one(desk, size, codec, a, tmp):
    w, h = size
    base = {"side": "agent", "workload": "gtk-scroll", "codec": codec,
            "display": desk.kind, "size": f"{w}x{h}"}
    try:
        host = bench.AgentHost(None, codec, a, tmp, display_yaml=desk.display_yaml)
    except Exception as e:
        return dict(base, ok=False, error=f"agent did not start: {e}")
    try:
        r = bench.run_agent(host, None, "gtk-scroll", codec, a, tmp,
                            workload=GtkScroll(desk, w, h, a.scroll_rate),
                            psnr=psnr_of(desk, w, h),
                            pids={"compositor": desk.pid})
    finally:
        code = host.stop()
    r.update(base)
    if code not in (0, None) or not r.get("ok"):
        r["agent_exit"] = code
        r["agent_log"] = host.agent.log()[-3000:]
    return r


COLUMNS = [("fps", "fps", "{:.1f}"), ("agent CPU %", "cpu_pct", "{:.0f}"),
           ("CPU ms/frame", "cpu_ms_per_frame", "{:.1f}"),
           ("compositor CPU %", "compositor_cpu_pct", "{:.0f}"),
           ("capture ms", "capture_ms", "{:.1f}"), ("encode ms", "encode_ms", "{:.1f}"),
           ("latency p50/p95 ms", ("latency_ms_p50", "latency_ms_p95"), "{:.0f}"),
           ("kbit/s", "kbps", "{:.0f}"), ("RSS MiB", "rss_mib", "{:.1f}"),
           ("damage/s", "damage_per_s", "{:.0f}"),
           ("waits/s rate/ack/queue", ("rate_waits_per_s", "ack_waits_per_s",
                                       "queue_waits_per_s"), "{:.1f}"),
           ("PSNR dB", "psnr", "{:.1f}")]


def table(results):
    """One markdown table, a row per run."""
    head = ["size", "display / backend", "codec"] + [c[0] for c in COLUMNS]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        cells = [r["size"], f"{r['display']} / {r.get('display_backend') or '?'}",
                 r["codec"].upper()]
        for _, key, f in COLUMNS:
            keys = key if isinstance(key, tuple) else (key,)
            cells.append("/".join(bench.fmt(r, k, f) for k in keys))
        out.append("| " + " | ".join(cells) + " |")
    for r in results:
        if not r.get("ok"):
            out.append(f"{r['size']} {r['display']} {r['codec']}: {r.get('error')}")
        if "agent_log" in r:
            out.append(f"{r['size']} {r['display']} {r['codec']}: agent exit "
                       f"{r['agent_exit']}, its log:\n{r['agent_log']}")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--settle", type=float, default=1.0)
    ap.add_argument("--sizes", default="1280x720,1920x1080")
    ap.add_argument("--displays", default=",".join(DISPLAYS))
    ap.add_argument("--codecs", default="vp9", help="vp9, vp8 or vp9,vp8")
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--quality", default="balanced",
                    help="low, balanced, best or a custom percent (run.py)")
    ap.add_argument("--scroll-rate", type=float, default=100.0, help="lines/s")
    ap.add_argument("--outpost", default=os.environ.get("OUTPOST") or os.path.join(
        bench.SRC, "build", "release", "agent", "outpost"))
    ap.add_argument("--agent-log-level", default="info")
    ap.add_argument("--json", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs)")
    a = ap.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in a.sizes.split(",") if s]
    displays = [d for d in a.displays.split(",") if d]
    codecs = [c for c in a.codecs.split(",") if c]
    for d in displays:
        if d not in DESKS:
            sys.exit(f"unknown display {d}")
    for c in codecs:
        if c not in bench.CODECS:
            sys.exit(f"unknown codec {c}")
    if not os.path.exists(a.outpost):
        sys.exit(f"no agent binary {a.outpost} (build the release preset or pass --outpost)")
    os.environ["OUTPOST"] = os.path.abspath(a.outpost)
    global su, mu
    import mutter_util as mu
    import sway_util as su
    missing = {"sway": su.missing_tools(), "mutter": mu.missing_tools()}
    tmp = su.user_tmp("op-bench-wl-")
    load0 = os.getloadavg()
    print(f"wayland video bench: sizes {a.sizes}, displays {displays}, codecs {codecs}, "
          f"{a.seconds:g} s (+{a.warmup:g} s warm-up), {a.scroll_rate:g} lines/s, "
          f"quality {a.quality}, load {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}",
          flush=True)
    results = []
    try:
        for size in sizes:
            for kind in displays:
                if missing.get(kind):
                    for c in codecs:
                        results.append({"size": "%dx%d" % size, "display": kind, "codec": c,
                                        "ok": False, "error": f"not installed: {missing[kind]}"})
                    continue
                log_dir = su.user_tmp(os.path.join(tmp, f"{kind}-{size[0]}-"))
                try:
                    desk = DESKS[kind](*size, log_dir)
                except Exception as e:
                    for c in codecs:
                        results.append({"size": "%dx%d" % size, "display": kind, "codec": c,
                                        "ok": False, "error": f"{kind} did not start: {e}"})
                    continue
                try:
                    for c in codecs:
                        r = run_one(desk, size, c, a, tmp)
                        r["loadavg"] = os.getloadavg()[0]
                        results.append(r)
                        print(f"{r['size']} {kind} {c}: " + (
                            f"{r['fps']:.1f} fps, {r['cpu_pct']:.0f} % CPU, load "
                            f"{r['loadavg']:.2f}" if r.get("ok") else r.get("error")),
                            flush=True)
                finally:
                    desk.stop()
    finally:
        if a.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    load1 = os.getloadavg()
    print()
    print(table(results))
    print(f"\nload average (1/5/15 min) at start {load0[0]:.2f} {load0[1]:.2f} "
          f"{load0[2]:.2f}, at end {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}; "
          f"{os.cpu_count()} CPUs")
    if a.json:
        meta = {"seconds": a.seconds, "warmup": a.warmup, "scroll_rate": a.scroll_rate,
                "quality": a.quality, "fps": a.fps, "loadavg_start": load0,
                "loadavg_end": load1, "outpost": a.outpost, "cpus": os.cpu_count()}
        with open(a.json, "w") as f:
            json.dump(bench.json_safe({"meta": meta, "results": results}), f, indent=1,
                      default=str)
    return 0 if all(r.get("ok") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
