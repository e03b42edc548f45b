#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`outpost.exe doctor` under wine (issue 16) against the independent
rendezvous and relay peers (tests/peers) on loopback.

Usage: wine-doctor.py WINE outpost.exe

Checks: with hbbs and hbbr up and the agent not running (its state made
by `outpost id`), every network check is ok (DNS of literals, TCP to
hbbs, its NAT port and hbbr, the relay's licence key, the UDP
RegisterPeer with this host's own ID, the NAT test, the round trip), the
agent is reported as not running, and the exit is 0; the text form has
one line per check and the verdict; with nothing listening, the TCP and
UDP probes fail with their fixes and the exit is 69; a config without
server.rendezvous is a FAIL with exit 69; a hostile config 78.
"""
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "peers")]

import winerun  # noqa: E402
from relay import RelayServer  # noqa: E402
from rendezvous import (RendezvousServer,  # noqa: E402
                        free_rendezvous_port)
from wine_session_util import Tally, winpath  # noqa: E402

EX_UNAVAILABLE, EX_CONFIG = 69, 78
tally = Tally()
check = tally.check


def main():
    wine, exe = sys.argv[1], sys.argv[2]
    tmp = tempfile.TemporaryDirectory(prefix="op-wine-doctor-")
    state = winpath(os.path.join(tmp.name, "state"))

    def config(name, text):
        path = os.path.join(tmp.name, name)
        with open(path, "w") as f:
            f.write(f"state_dir: '{state}'\n" + text)
        return winpath(path)

    def doctor(conf, *args):
        p = winerun.run([wine, exe, "-c", conf, "doctor"] + list(args),
                        timeout=120)
        return p.returncode, p.stdout.decode(errors="replace").replace(
            "\r\n", "\n"), p.stderr.decode(errors="replace")

    relay = RelayServer().start()
    rs = RendezvousServer(relay_servers=[relay.address])
    rs.start()
    relay.key = rs.licence_key
    try:
        up = config("up.yaml", f"server:\n  rendezvous: 127.0.0.1:{rs.port}"
                    f"\n  relay: {relay.address}\n"
                    f"  key: {rs.public_key_b64}\n")
        p = winerun.run([wine, exe, "-c", up, "id"], timeout=120)
        own_id = p.stdout.decode().strip()
        check("outpost id made the state", p.returncode == 0 and
              len(own_id) == 9, repr(p.stdout))
        rc, out, err = doctor(up, "--json")
        try:
            data = json.loads(out)
        except ValueError:
            data = {"checks": []}
        checks = {c["name"]: c for c in data["checks"]}
        check("doctor --json, servers up: exit 0", rc == 0 and
              data.get("exit_code") == 0, f"{rc} {out[-1500:]} {err}")
        check("the checks are the Linux doctor's", list(checks) == [
            "config", "agent", "dns-rendezvous", "dns-relay",
            "tcp-rendezvous", "tcp-nat", "tcp-relay", "relay-key",
            "udp-register", "nat-test", "rtt"], str(list(checks)))
        for name in ("config", "dns-rendezvous", "dns-relay",
                     "tcp-rendezvous", "tcp-nat", "tcp-relay", "relay-key",
                     "udp-register", "nat-test", "rtt"):
            c = checks.get(name, {})
            check(f"{name}: ok ({c.get('figure')})", c.get("status") == "ok",
                  json.dumps(c))
        check("agent: not running, a warning with a fix",
              checks.get("agent", {}).get("status") == "warn" and
              checks["agent"].get("fix"), json.dumps(checks.get("agent")))
        check("the UDP probe used this host's own ID",
              data.get("probe_id") == own_id and
              own_id in [e.msg.id for e in rs.events("register_peer")],
              f"{data.get('probe_id')} {own_id}")
        check("no RegisterPk sent", not rs.events("register_pk"), "")
        rc, out, err = doctor(up)
        lines = out.splitlines()
        check("text form: a line per check and the verdict",
              rc == 0 and len(lines) == len(checks) + 1 and
              lines[-1].startswith("reachable: yes"), out)
    finally:
        rs.stop()
        relay.stop()

    r = free_rendezvous_port()
    down = config("down.yaml", f"server:\n  rendezvous: 127.0.0.1:{r}\n"
                  f"  key: {'A' * 43}=\n")
    rc, out, err = doctor(down, "--json")
    try:
        checks = {c["name"]: c for c in json.loads(out)["checks"]}
    except ValueError:
        checks = {}
    check("servers down: exit 69", rc == EX_UNAVAILABLE, f"{rc} {out}")
    for name in ("tcp-rendezvous", "tcp-relay", "udp-register"):
        c = checks.get(name, {})
        check(f"{name} fails with a fix", c.get("status") == "fail" and
              "nothing listens on" in (c.get("fix") or ""), json.dumps(c))
    rc, out, err = doctor(config("none.yaml", ""))
    check("no rendezvous server: FAIL and 69", rc == EX_UNAVAILABLE and
          "server.rendezvous is not set" in out, f"{rc} {out}")
    rc, out, err = doctor(config("bad.yaml", "server:\n  nope: 1\n"))
    check("a bad config: 78", rc == EX_CONFIG, f"{rc} {out} {err}")
    tmp.cleanup()
    return tally.report()


if __name__ == "__main__":
    sys.exit(main())
