#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Audio benchmark (not run by CI): the CPU cost of agent/audio's capture
and Opus encoding path, built with -O2 (op-audio-probe, the same program
the integration test drives), against a private PipeWire (and
pipewire-pulse for --pulse) from tests/integration/pipewire_util.py.

Phases of --seconds each (default 10), one probe, capture started:
  idle     nothing plays (the passive stream lets the graph stop)
  zeros    a player plays digital silence (frames arrive, none is sent)
  chirp    music-like content: a log sweep 110 Hz-3.5 kHz with a
           two-note harmony and tremolo, different per channel
  tone     a 1 kHz sine
For each: the probe's CPU (utime+stime from /proc, % of one core),
packets per second, kbit/s, and the pipewire daemon's CPU for context.

    /usr/bin/python3 tests/bench/audio/run.py [--seconds 10] [--pulse]
        [--json FILE] [--probe PATH (default: build an -O2 copy)]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
import pipewire_util as pwu                             # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def build_probe(tmp):
    agent = os.path.join(SRC, "agent")
    srcs = [os.path.join(SRC, "tests", "tools", "op-audio-probe.c")] + [
        os.path.join(agent, "audio", f)
        for f in sorted(os.listdir(os.path.join(agent, "audio")))
        if f.endswith(".c")] + [os.path.join(agent, "core", "err.c"),
                                os.path.join(agent, "core", "log.c")]
    flags = subprocess.run(
        ["pkg-config", "--cflags", "--libs", "libpipewire-0.3", "opus",
         "libpulse-simple", "libuv", "libsystemd"],
        capture_output=True, text=True, check=True).stdout.split()
    exe = os.path.join(tmp, "op-audio-probe")
    subprocess.run(["gcc", "-std=c11", "-O2", "-D_GNU_SOURCE", "-I", agent,
                    "-o", exe] + srcs + flags + ["-lpthread", "-lm"],
                   check=True)
    return exe


def cpu_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except OSError:
        return 0.0


class Probe:
    def __init__(self, exe, runtime_dir, backend):
        self.proc = subprocess.Popen([exe, runtime_dir, backend,
                                      "--quiet-packets"],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.ready = json.loads(self.proc.stdout.readline())
        self.packets = []           # (t, len)
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            e = json.loads(line)
            if e["event"] == "packet":
                with self.lock:
                    self.packets.append((e["t"], e["len"]))

    def cmd(self, c):
        self.proc.stdin.write(c + "\n")
        self.proc.stdin.flush()

    def since(self, t):
        with self.lock:
            return [p for p in self.packets if p[0] >= t]


def phase(name, pw, probe, seconds, wav):
    pw_pid = pw.procs["pipewire"].pid
    time.sleep(0.5)
    player = pw.play(wav) if wav else None
    time.sleep(0.3)                  # linking and the first cycles
    t0 = time.monotonic()
    c0, d0 = cpu_of(probe.proc.pid), cpu_of(pw_pid)
    time.sleep(seconds)
    dt = time.monotonic() - t0
    cpu = (cpu_of(probe.proc.pid) - c0) / dt
    dcpu = (cpu_of(pw_pid) - d0) / dt
    pk = [p for p in probe.since(t0) if p[0] < t0 + dt]
    if player:
        player.kill()
        player.wait()
    row = {"phase": name, "seconds": round(dt, 2),
           "probe_cpu_percent": round(cpu * 100, 3),
           "pipewire_cpu_percent": round(dcpu * 100, 3),
           "packets_per_s": round(len(pk) / dt, 1),
           "kbit_per_s": round(sum(n for _, n in pk) * 8 / dt / 1000, 1)}
    print(f"{name:6} probe {row['probe_cpu_percent']:6.2f} % of a core  "
          f"pipewire {row['pipewire_cpu_percent']:6.2f} %  "
          f"{row['packets_per_s']:5.1f} packets/s  "
          f"{row['kbit_per_s']:6.1f} kbit/s", flush=True)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--pulse", action="store_true",
                    help="the pulse-simple backend via pipewire-pulse")
    ap.add_argument("--probe")
    ap.add_argument("--json")
    a = ap.parse_args()
    missing = pwu.missing_tools(pulse=a.pulse)
    if missing:
        sys.exit(f"not installed: {missing}")
    with tempfile.TemporaryDirectory(prefix="op-audio-bench-") as tmp:
        exe = a.probe or build_probe(tmp)
        with pwu.PipeWire(pulse=a.pulse) as pw:
            long = a.seconds + 2
            wavs = {
                "zeros": pw.write_wav("zeros.wav", pwu.tone(1000, long, amp=0)),
                "chirp": pw.write_wav("chirp.wav", pwu.chirp(long)),
                "tone": pw.write_wav("tone.wav", pwu.tone(1000, long)),
            }
            probe = Probe(exe, pw.runtime_dir,
                          "pulse" if a.pulse else "pipewire")
            print(f"backend {probe.ready['backend']}, "
                  f"{a.seconds:.0f} s per phase, -O2 probe", flush=True)
            probe.cmd("start")
            rows = [phase("idle", pw, probe, a.seconds, None)]
            for name in ("zeros", "chirp", "tone"):
                rows.append(phase(name, pw, probe, a.seconds, wavs[name]))
            probe.cmd("quit")
            probe.proc.wait(10)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
