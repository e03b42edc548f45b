#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""outpost.exe under wine (issue 16): the commands that need no daemon,
on a temporary config and state directory; status and reload with no
daemon, and the commands not ported yet, refusing with 69.

Usage: wine-cli.py WINE outpost.exe
"""
import json
import os
import re
import shutil
import sys
import tempfile

import winerun
from wine_session_util import Tally, winpath

EX_DATAERR, EX_NOINPUT, EX_UNAVAILABLE, EX_CONFIG = 65, 66, 69, 78
# RustDesk's --config string: host 1.1.1.1, key "bogus" (the backwards
# base64 of its JSON; upstream's own example).
RUSTDESK_STRING = ("0nI900VsFHZVBVdIlncwpHS4V0bOZ0dtVldrpVO4JHdCp0YV5WdzU"
                   "GZzdnYRVjI6ISeltmIsISMuEjLx4SMiojI0N3boJye")
tally = Tally()
check = tally.check


class Outpost:
    def __init__(self, wine, exe, conf):
        self.wine, self.exe, self.conf = wine, exe, conf

    def __call__(self, *args, stdin=b"", conf=True):
        argv = [self.wine, self.exe]
        if conf:
            argv += ["-c", winpath(self.conf)]
        p = winerun.run(argv + list(args), input=stdin, timeout=120)
        # Windows' text-mode stdout ends lines with \r\n
        return p.returncode, \
            p.stdout.decode(errors="replace").replace("\r\n", "\n"), \
            p.stderr.decode(errors="replace").replace("\r\n", "\n")


def expect(what, res, code, out_re=None, err_re=None):
    rc, out, err = res
    detail = "exit %d, stdout %r, stderr %r" % (rc, out[-300:], err[-300:])
    ok = rc == code
    if out_re is not None:
        ok = ok and re.search(out_re, out) is not None
    if err_re is not None:
        ok = ok and re.search(err_re, err) is not None
    check(what, ok, detail)
    return out


def main():
    wine, exe = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="outpost-wine-cli-")
    try:
        state = os.path.join(tmp, "state")
        conf = os.path.join(tmp, "outpost.yaml")
        with open(conf, "w") as f:
            f.write("state_dir: '%s'\n" % winpath(state))
        run = Outpost(wine, exe, conf)

        expect("version", run("version", conf=False), 0,
               out_re=r"^outpost \d+\.\d+\.\d+\n$")
        expect("--help lists the commands", run("--help", conf=False), 0,
               out_re=r"(?s)ProgramData.*\n  audit ")

        first = expect("id prints a 9-digit ID", run("id"), 0,
                       out_re=r"^\d{9}\n$")
        again = expect("id again", run("id"), 0, out_re=r"^\d{9}\n$")
        check("id is the same twice", first == again, "%r %r" % (first, again))
        check("id created the state", os.path.isfile(
            os.path.join(state, "identity.key")), os.listdir(tmp))
        new = expect("id --reset (no agent running)", run("id", "--reset"),
                     0, out_re=r"^\d{9}\n$")
        check("id --reset makes a new ID", new != first, new)
        expect("id after the reset", run("id"), 0, out_re="^" + new + "$")
        expect("id refuses an operand", run("id", "extra"), 64)
        out = expect("enroll: one line of JSON", run("enroll"), 0,
                     out_re=r"^\{.*\}\n$")
        try:
            facts = json.loads(out)
        except ValueError:
            facts = {}
        check("enroll's facts: this ID, a host name, not registered",
              facts.get("id") == new.strip() and facts.get("hostname") and
              facts.get("registered") is False, repr(facts))

        pwfile = os.path.join(state, "password.h1")
        expect("password set from stdin",
               run("password", "set", stdin=b"Wine-Cli-Passw0rd\n"), 0,
               err_re=r"permanent password set")
        check("password set wrote the state file", os.path.isfile(pwfile),
              str(os.listdir(state)))
        expect("password too short refused",
               run("password", "set", stdin=b"short\n"), EX_DATAERR,
               err_re=r"too short")
        expect("password not UTF-8 refused",
               run("password", "set", stdin=b"abcd\xff\xfeefgh\n"),
               EX_DATAERR, err_re=r"UTF-8")
        expect("password on argv refused",
               run("password", "set", "Wine-Cli-Passw0rd"), 64)
        check("a refused password left the old one", os.path.isfile(pwfile),
              str(os.listdir(state)))
        expect("password clear", run("password", "clear"), 0,
               err_re=r"cleared")
        check("password clear removed the file", not os.path.exists(pwfile),
              str(os.listdir(state)))

        expect("config check (good)", run("config", "check"), 0,
               out_re=r": OK")
        expect("config dump", run("config", "dump"), 0,
               out_re=r"(?m)^state_dir: ")
        hostile = {
            "syntax": b"server:\n  relay: [1,\n",
            "unknown-key": b"server:\n  no_such_key: 1\n",
            "wrong-type": b"server:\n  rendezvous: [a, b]\n",
            "alias-bomb": b"a: &a [x, x, x, x, x, x, x, x]\n"
                          b"b: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
                          b"c: [*b, *b, *b, *b, *b, *b, *b, *b]\n",
            "nul-byte": b"server:\n  relay: \"a\x00b\"\n",
            "huge": b"# " + b"x" * (2 << 20) + b"\n",
        }
        for name, text in hostile.items():
            path = os.path.join(tmp, name + ".yaml")
            with open(path, "wb") as f:
                f.write(text)
            # FILE:LINE:COL: or FILE: message (the size limit has no line)
            expect("config check refuses " + name,
                   run("config", "check", winpath(path), conf=False),
                   EX_CONFIG, err_re=re.escape(winpath(path)) + r":(\d+:\d+:)? \S")

        # policy explain: the daemon's decision for a hypothetical
        # connection; exit 2 = ask, 0 = allow, 1 = deny, 64 = usage.
        pol = os.path.join(tmp, "policy.yaml")
        with open(pol, "w") as f:
            f.write("state_dir: '%s'\n"
                    "policy:\n  consent:\n    when_user_present: ask\n"
                    "    when_no_user: allow\n"
                    "  peers:\n    deny_ids: ['666*']\n"
                    % winpath(state))
        prun = Outpost(wine, exe, pol)
        expect("policy explain: a present user is asked",
               prun("policy", "explain", "--peer", "123456789", "--from",
                    "10.1.2.3", "--user-present"), 2,
               out_re=r"(?m)^decision: +ask\n")
        expect("policy explain: nobody there, allowed",
               prun("policy", "explain", "--peer", "123456789", "--from",
                    "10.1.2.3", "--at", "Mon 09:30"), 0,
               out_re=r"(?m)^decision: +allow\n.*\n(?s:.*)Mon 09:30")
        expect("policy explain: a denied ID",
               prun("policy", "explain", "--peer", "666000111", "--from",
                    "10.1.2.3"), 1,
               out_re=r"(?m)^decision: +deny\n(?s:.*)deny_ids")
        expect("policy explain refuses a bad address",
               prun("policy", "explain", "--peer", "1", "--from",
                    "not-an-ip"), 64, err_re=r"IPv4 or IPv6")

        # config import: validated, installed (a private DACL), an
        # identical file left alone, a bad one refused with nothing
        # changed; import-rustdesk: RustDesk's string into server.*.
        target = os.path.join(tmp, "imported", "outpost.yaml")
        irun = Outpost(wine, exe, target)
        new = os.path.join(tmp, "new.yaml")
        with open(new, "w") as f:
            f.write("state_dir: '%s'\nserver:\n  rendezvous: hbbs.example"
                    "\n" % winpath(state))
        expect("config import installs a new file",
               irun("config", "import", winpath(new)), 0,
               out_re=r"installed(?s:.*)not running")
        check("config import wrote it", os.path.isfile(target),
              str(os.listdir(tmp)))
        expect("config import of the same file: unchanged",
               irun("config", "import", winpath(new)), 0,
               out_re=r"unchanged")
        with open(target, "rb") as f:
            before = f.read()
        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("server:\n  no_such_key: 1\n")
        expect("config import refuses a bad file",
               irun("config", "import", winpath(bad)), EX_CONFIG,
               err_re=r"nothing was changed")
        with open(target, "rb") as f:
            check("the refused import changed nothing", f.read() == before,
                  "file changed")
        with open(new, "rb") as f:
            text = f.read().replace(b"hbbs.example", b"hbbs2.example")
        expect("config import from stdin",
               irun("config", "import", "-", stdin=text), 0,
               out_re=r"installed")
        expect("config import-rustdesk",
               irun("config", "import-rustdesk", RUSTDESK_STRING), 0,
               out_re=r"server\.rendezvous: 1\.1\.1\.1")
        expect("the imported file is valid", irun("config", "dump"), 0,
               out_re=r"(?s)rendezvous: .?1\.1\.1\.1")
        expect("import-rustdesk refuses garbage",
               irun("config", "import-rustdesk", "not base64!"),
               EX_DATAERR)

        # No daemon runs here (wine-daemon.py does), so no trail. As on
        # Linux before the first session: listing nothing succeeds (0,
        # empty, the reason on stderr); verify, export and show have
        # nothing to act on (66).
        expect("audit list on an empty trail", run("audit", "list"), 0,
               out_re=r"^$", err_re=r"nothing recorded")
        for sub in (["verify"], ["export"], ["show", "1"]):
            expect("audit %s on an empty trail" % sub[0], run("audit", *sub),
                   EX_NOINPUT, err_re=r"nothing recorded")

        # run is wine-daemon.py's; without a daemon, status and reload
        # say so (69), as on Linux.
        for cmd in ("status", "reload"):
            expect(cmd + " with no daemon running", run(cmd),
                   EX_UNAVAILABLE, err_re=r"not running")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return tally.report()


if __name__ == "__main__":
    sys.exit(main())
