#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Benchmark: the registered, idle agent over a period (default 300 s).

Prints RSS, CPU seconds and % of one core, processes spawned (via strace on
fork/clone/exec), and registration traffic in bytes/s on the wire (payload
plus 28 bytes of IPv4+UDP header per datagram, both directions), measured
at the independent test rendezvous server. Not run by CI (it takes
minutes); run it with
    /usr/bin/python3 tests/bench/idle/run.py [--seconds N] [--outpost PATH]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "peers"))
from rendezvous import RendezvousServer  # noqa: E402

HZ = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=300)
    ap.add_argument("--outpost", default=os.path.join(
        SRC, "build", "release", "agent", "outpost"))
    a = ap.parse_args()
    if not os.path.exists(a.outpost):
        sys.exit(f"build it first: {a.outpost} (cmake --preset release && "
                 "cmake --build --preset release)")
    tmp = tempfile.mkdtemp(prefix="op-bench-idle-")
    rs = RendezvousServer().start()
    cfg = os.path.join(tmp, "outpost.yaml")
    with open(cfg, "w") as f:
        f.write(f"state_dir: {tmp}/state\nlog:\n  target: stderr\n"
                f"server:\n  rendezvous: 127.0.0.1:{rs.port}\n"
                f"  key: {rs.public_key_b64}\n")
    os.chmod(cfg, 0o600)
    my_id = subprocess.run([a.outpost, "-c", cfg, "id"], capture_output=True,
                           text=True).stdout.strip()
    agent = subprocess.Popen([a.outpost, "-c", cfg, "run"],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        if not rs.wait_registered(my_id, timeout=5):
            sys.exit("agent did not register")
        time.sleep(2)  # let the NAT test and first keep-alive finish
        strace = None
        trace = os.path.join(tmp, "strace.txt")
        if shutil.which("strace"):
            strace = subprocess.Popen(
                ["strace", "-f", "-qq", "-e",
                 "trace=fork,vfork,clone,clone3,execve", "-o", trace,
                 "-p", str(agent.pid)],
                stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        t0 = time.monotonic()
        since = time.monotonic()
        cpu0 = cpu_seconds(agent.pid)
        rss_max = 0
        while time.monotonic() - t0 < a.seconds:
            rss_max = max(rss_max, rss_kib(agent.pid))
            time.sleep(1)
        elapsed = time.monotonic() - t0
        cpu = cpu_seconds(agent.pid) - cpu0
        rss_end = rss_kib(agent.pid)
        spawned = None
        if strace is not None:
            strace.terminate()
            strace.wait()
            with open(trace) as f:
                spawned = sum(1 for line in f if "= " in line and
                              ("clone" in line or "fork" in line or
                               "execve" in line))
        evs = (rs.log.query(direction="in", transport="udp", since=since) +
               rs.log.query(direction="out", transport="udp", since=since))
        evs = [e for e in evs if e.raw is not None]
        wire = sum(len(e.raw or b"") + 28 for e in evs)
        print(f"idle agent, {elapsed:.0f} s, registered the whole time: "
              f"{rs.registered(my_id)}")
        print(f"  RSS:               {rss_end / 1024:.2f} MiB "
              f"(max {rss_max / 1024:.2f} MiB)   goal <= 10 MB")
        print(f"  CPU:               {cpu:.3f} s = "
              f"{100 * cpu / elapsed:.4f} % of one core   goal <= 0.1 %")
        print(f"  processes spawned: "
              f"{'n/a (no strace)' if spawned is None else spawned}"
              f"   goal 0")
        print(f"  datagrams:         {len(evs)} "
              f"({sum(1 for e in evs if e.direction == 'in')} in at the "
              f"server, {sum(1 for e in evs if e.direction == 'out')} out)")
        print(f"  registration wire: {wire / elapsed:.2f} B/s   "
              f"goal <= 20 B/s")
    finally:
        agent.terminate()
        agent.wait()
        rs.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
