#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""File-transfer benchmark (not run by CI).

Module level (works now): builds xfer-bench.c with -O2 against
agent/xfer, makes a test file (default 1 GiB of random data: the worst
case, zstd cannot shrink it), and compares, on the same file in the same
run and with the page cache warm for all of them:

  download  xfer send job (confined open, blocks, zstd attempt, SHA-256)
            vs  dd if=F of=/dev/null bs=128K   and   sha256sum F
  upload    xfer receive job (part file, SHA-256, fsync, rename)
            vs  cp F G && sync G               and   dd bs=128K conv=fsync

printing MB/s, CPU seconds and peak RSS.

Agent level (--agent; needs the session wiring and the config keys
policy.allow.file_transfer, policy.files.roots, policy.files.max_bytes):
starts outpost with direct access and a root holding the file, then
uploads and downloads it with the Python technician client
(tests/peers/client_files.py) over loopback, printing MB/s and the agent's
peak RSS (VmHWM), and, with --scp-host (e.g. localhost, key-based login),
scp of the same file both ways as the baseline. The Python client's own
cost (secretbox, zstd, protobuf in Python) is part of those figures.

    /usr/bin/python3 tests/bench/xfer/run.py [--size-mib 1024]
        [--data random|text|zero] [--dir /var/tmp] [--keep] [--json F]
        [--interop [--xfer-host build/dev/tests/tools/op-xfer-host]]
        [--agent [--outpost build/release/agent/outpost] [--scp-host H]]

--interop: loopback through tests/tools/op-xfer-host (the xfer module and
its protobuf mapping behind plaintext framing, no session) with the Python
client, until --agent can run.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
AGENT = os.path.join(SRC, "agent")


LAUNCHER = r"""
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
    struct rusage ru; int st; pid_t p;
    if (argc < 2) return 64;
    if ((p = fork()) == 0) { execvp(argv[1], argv + 1); _exit(127); }
    if (wait4(p, &st, 0, &ru) != p) return 70;
    fprintf(stderr, "rusage %ld %f\n", ru.ru_maxrss, ru.ru_utime.tv_sec +
        ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
"""


def build_bench(tmp):
    """xfer-bench (-O2) and a launcher that reports a command's own peak RSS
    (forked from Python, a command would inherit Python's in maxrss)."""
    global LAUNCH
    LAUNCH = os.path.join(tmp, "launch")
    with open(LAUNCH + ".c", "w") as f:
        f.write(LAUNCHER)
    subprocess.run(["gcc", "-O2", "-o", LAUNCH, LAUNCH + ".c"], check=True)
    exe = os.path.join(tmp, "xfer-bench")
    srcs = [os.path.join(HERE, "xfer-bench.c")] + [
        os.path.join(AGENT, "xfer", f) for f in sorted(os.listdir(os.path.join(AGENT, "xfer")))
        if f.endswith(".c") and f not in ("xfer-wire.c", "xfer-uv.c")] + [os.path.join(AGENT, "core", "err.c"),
                                os.path.join(AGENT, "core", "utf8.c")]
    subprocess.run(["gcc", "-std=c11", "-O2", "-D_GNU_SOURCE", "-I", AGENT, "-o", exe]
                   + srcs + ["-lzstd", "-lnettle"], check=True)
    return exe


def make_file(path, size, kind):
    chunk = 1 << 20
    with open(path, "wb") as f:
        if kind == "zero":
            f.truncate(size)
            return
        line = b"".join(b"%08d the quick brown fox jumps over the lazy dog\n" % i
                        for i in range(chunk // 56 + 1))[:chunk]
        left = size
        while left > 0:
            n = min(chunk, left)
            f.write(os.urandom(n) if kind == "random" else line[:n])
            left -= n


LAUNCH = None


def timed(cmd):
    """(seconds, cpu seconds, peak RSS KiB) of that one command."""
    t0 = time.monotonic()
    p = subprocess.run([LAUNCH] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        raise subprocess.CalledProcessError(p.returncode, cmd, stderr=p.stderr)
    _, rss, cpu = p.stderr.strip().splitlines()[-1].split()
    return dt, float(cpu), int(rss)


def row(name, size, secs, cpu, rss):
    print(f"  {name:<34} {size / 1e6 / secs:8.1f} MB/s  {secs:7.2f} s  "
          f"cpu {cpu:6.2f} s  rss {rss / 1024:7.1f} MiB")


def module_level(a, tmp, src, size):
    exe = build_bench(tmp)
    dst = os.path.join(tmp, "dst")
    os.makedirs(dst)
    subprocess.run(["cat", src], stdout=subprocess.DEVNULL, check=True)  # warm the cache
    print(f"file: {size / (1 << 20):.0f} MiB of {a.data} data in {a.dir} (page cache warm)")
    print("download (host reads):")
    row("dd of=/dev/null bs=128K", size, *timed(["dd", f"if={src}", "of=/dev/null",
                                                  "bs=128K", "status=none"]))
    row("sha256sum", size, *timed(["sha256sum", src]))
    res = []
    for extra in ([], ["upload-zstd"]):
        p = subprocess.run([exe, src, dst] + extra, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"xfer-bench failed: {p.stderr.strip()}")
        res.append(json.loads(p.stdout))
    j = res[0]
    row("xfer send job", size, j["download"]["seconds"], j["download"]["cpu_s"],
        j["maxrss_kib"])
    print(f"    blocks {j['download']['blocks']}, compressed "
          f"{j['download']['compressed_blocks']}, on the wire "
          f"{j['download']['wire_bytes'] / 1e6:.1f} MB")
    print("upload (host writes, fsync):")
    g = os.path.join(dst, "cp.out")
    t_cp = timed(["cp", src, g])
    t_sync = timed(["sync", g])
    row("cp + sync", size, t_cp[0] + t_sync[0], t_cp[1] + t_sync[1], max(t_cp[2], t_sync[2]))
    os.unlink(g)
    row("dd bs=128K conv=fsync", size, *timed(["dd", f"if={src}", f"of={g}", "bs=128K",
                                                "conv=fsync", "status=none"]))
    os.unlink(g)
    row("xfer receive job (raw blocks)", size, j["upload"]["seconds"], j["upload"]["cpu_s"],
        j["maxrss_kib"])
    row("xfer receive job (zstd, incl. compressing)", size, res[1]["upload"]["seconds"],
        res[1]["upload"]["cpu_s"], res[1]["maxrss_kib"])
    print("  (xfer rss: VmHWM of the bench process over both jobs)")
    return {"module": res}


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def proc_cpu_s(pid):
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def agent_level(a, tmp, src, size):
    sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
    sys.path.insert(0, os.path.join(SRC, "tests", "peers"))
    os.environ.setdefault("OUTPOST", a.outpost)
    os.environ.setdefault("OP_SOURCE_DIR", SRC)
    from agent import Agent                            # noqa: E402
    from common import give_to_network_account         # noqa: E402
    import client                                      # noqa: E402
    share = os.path.join(tmp, "share")
    os.makedirs(share)
    os.link(src, os.path.join(share, "src.bin"))
    give_to_network_account(share)
    extra = ("policy:\n  allow:\n    file_transfer: both\n"
             f"  files:\n    roots: [\"{share}\"]\n    max_bytes: 0\n")
    ag = rs = relay = None
    out = {}
    try:
        if a.channel == "direct":
            ag = Agent(tmp, extra=extra)
            ag.set_password("Bench-pass-1")
            ag.start()
            time.sleep(1.0)
            c = client.Client(("127.0.0.1", ag.direct_port), direct=True,
                              kind="file-transfer", timeout=60)
        else:
            # Encrypted (secretbox) as a technician's session through a
            # rendezvous server is: punch = straight TCP, relay = via hbbr.
            import initiator                           # noqa: E402
            from relay import RelayServer              # noqa: E402
            from rendezvous import RendezvousServer    # noqa: E402
            relay = RelayServer().start()
            rs = RendezvousServer(relay_servers=[relay.address],
                                  force_punch=a.channel == "punch",
                                  force_relay=a.channel == "relay")
            rs.start()
            relay.key = rs.licence_key
            ag = Agent.registered(tmp, rs, "Bench-pass-1", extra=extra)
            res = initiator.connect(rs.addr, rs.licence_key, ag.id, a.channel)
            c = client.Client(res, kind="file-transfer", timeout=60)
        channel = c.handshake()
        pi = c.login("Bench-pass-1")
        if isinstance(pi, str):
            print(f"agent level: login refused: {pi}")
            return {"agent": None}
        print(f"agent over loopback ({a.channel}, channel {channel}, Python client):")
        a0, c0 = proc_cpu_s(ag.proc.pid), time.process_time()
        r = c.download("/share/src.bin", os.path.join(tmp, "down.bin"))
        a1, c1 = proc_cpu_s(ag.proc.pid), time.process_time()
        if not r.done:
            print(f"  download failed: {r.error}")
        else:
            row("download (FileAction.send)", size, r.seconds, a1 - a0, vm_hwm_kib(ag.proc.pid))
            print(f"    the Python client's own cpu: {c1 - c0:6.2f} s")
        os.unlink(os.path.join(tmp, "down.bin"))
        a0, c0 = proc_cpu_s(ag.proc.pid), time.process_time()
        r2 = c.upload(src, "/share/up.bin")
        a1, c1 = proc_cpu_s(ag.proc.pid), time.process_time()
        if not r2.done:
            print(f"  upload failed: {r2.error}")
        else:
            row("upload (FileAction.receive)", size, r2.seconds, a1 - a0, vm_hwm_kib(ag.proc.pid))
            print(f"    the Python client's own cpu: {c1 - c0:6.2f} s")
        out = {"download": r.as_dict(), "upload": r2.as_dict(),
               "agent_vmhwm_kib": vm_hwm_kib(ag.proc.pid)}
        c.close()
    finally:
        for srv in (ag, rs, relay):
            if srv is not None:
                srv.stop()
    if a.scp_host:
        print(f"scp baseline ({a.scp_host}):")
        row("scp upload", size, *timed(["scp", "-q", src, f"{a.scp_host}:{tmp}/scp.bin"]))
        row("scp download", size, *timed(["scp", "-q", f"{a.scp_host}:{tmp}/scp.bin",
                                          os.path.join(tmp, "scp2.bin")]))
    else:
        print("scp baseline: skipped (give --scp-host with key-based ssh access)")
    return out


def interop_level(a, tmp, src, size):
    """Loopback through tests/tools/op-xfer-host (the xfer module and its
    protobuf mapping, plaintext, no session) with the Python client."""
    sys.path.insert(0, os.path.join(SRC, "tests", "peers"))
    import client                                      # noqa: E402
    share = os.path.join(tmp, "ishare")
    os.makedirs(share)
    os.link(src, os.path.join(share, "src.bin"))
    p = subprocess.Popen([a.xfer_host, "0", share], stdout=subprocess.PIPE, text=True)
    try:
        port = json.loads(p.stdout.readline())["port"]
        c = client.Client(("127.0.0.1", port), direct=True, kind="file-transfer", timeout=60)
        c.handshake()
        c.login("x")
        print("loopback through op-xfer-host (no encryption, Python client):")
        r = c.download("/ishare/src.bin", os.path.join(tmp, "idown.bin"))
        row("download", size, r.seconds, 0, vm_hwm_kib(p.pid))
        os.unlink(os.path.join(tmp, "idown.bin"))
        r2 = c.upload(src, "/ishare/up.bin")
        row("upload", size, r2.seconds, 0, vm_hwm_kib(p.pid))
        print("  (rss: the host's VmHWM; the Python client is the slower end)")
        c.close()
        return {"interop": {"download": r.as_dict(), "upload": r2.as_dict(),
                            "host_vmhwm_kib": vm_hwm_kib(p.pid)}}
    finally:
        p.terminate()
        p.wait(5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--data", choices=("random", "text", "zero"), default="random")
    ap.add_argument("--dir", default=tempfile.gettempdir())
    ap.add_argument("--agent", action="store_true")
    ap.add_argument("--outpost", default=os.environ.get("OUTPOST", os.path.join(
        SRC, "build", "release", "agent", "outpost")))
    ap.add_argument("--scp-host", default=None)
    ap.add_argument("--channel", choices=("punch", "relay", "direct"), default="punch",
                    help="agent level: encrypted via our rendezvous server (punch, relay) "
                         "or direct-IP access, which stock clients use in plaintext")
    ap.add_argument("--interop", action="store_true",
                    help="also loopback through tests/tools/op-xfer-host")
    ap.add_argument("--xfer-host", default=os.path.join(
        SRC, "build", "dev", "tests", "tools", "op-xfer-host"))
    ap.add_argument("--json", default=None)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="op-bench-xfer-", dir=a.dir)
    size = a.size_mib << 20
    try:
        src = os.path.join(tmp, "src.bin")
        make_file(src, size, a.data)
        res = module_level(a, tmp, src, size)
        if a.interop:
            res.update(interop_level(a, tmp, src, size))
        if a.agent:
            res.update(agent_level(a, tmp, src, size))
        if a.json:
            with open(a.json, "w") as f:
                json.dump(res, f, indent=1)
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
