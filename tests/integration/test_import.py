#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Fleet configuration commands (issue 7): `config import FILE|-`
(validate, atomic install, reload of a running agent, nothing changes on
error), `config import-rustdesk STRING` (RustDesk's --config string in all
its forms, hostile strings refused), `enroll` and `config man`. Everything
uses -c with temp files; nothing system-wide."""
import base64
import json
import os
import shutil
import signal
import stat
import subprocess
import time

import nacl.signing

from common import OUTPOST, TempDirCase, main, run

EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_CONFIG = 64, 65, 66, 78
KEY = "5Qbwsde3unUcJBtrx9ZkvUmwFNoExHzpryHuPUdqlWM="
# From rustdesk/rustdesk src/custom_server.rs tests: host 1.1.1.1, KEY.
UPSTREAM = ("0nI900VsFHZVBVdIlncwpHS4V0bOZ0dtVldrpVO4JHdCp0YV5WdzUGZzdnYRVjI6"
            "ISeltmIsISMuEjLx4SMiojI0N3boJye")


def rd_string(obj, urlsafe=True, pad=False, raw=None):
    """RustDesk's encoding: base64 of the JSON, reversed."""
    data = raw if raw is not None else json.dumps(obj).encode()
    enc = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(data)
    enc = enc.decode()
    if not pad:
        enc = enc.rstrip("=")
    return enc[::-1]


def listen_free_port():
    """The direct_access lines for a free port: the agent refuses to run
    without a way in, and the default port may be taken (exit 69)."""
    from agent import free_port
    return f"direct_access:\n  listen: 127.0.0.1:{free_port()}\n"


class Agent:
    """`outpost run` on a config, for reload tests."""

    def __init__(self, config):
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)
        self.config = config
        self.proc = subprocess.Popen([OUTPOST, "-c", config, "run"],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True,
                                     env=env)
        # Ready when the control socket answers.
        deadline = time.time() + 10
        while time.time() < deadline and self.proc.poll() is None:
            if run(["-c", config, "status", "--json"]).returncode == 0:
                return
            time.sleep(0.05)
        raise AssertionError("the agent did not come up")

    def status(self):
        return json.loads(run(["-c", self.config, "status",
                               "--json"]).stdout)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=5)
        return self.proc.stderr.read()


class Import(TempDirCase):
    def setUp(self):
        super().setUp()
        self.target = os.path.join(self.tmp, "etc", "outpost.yaml")

    def imp(self, src, stdin=None):
        return run(["-c", self.target, "config", "import", src],
                   stdin=stdin)

    def test_install_validate_and_idempotence(self):
        new = self.write_config(f"state_dir: {self.tmp}/s\n"
                                "log:\n  level: debug\n", name="new.yaml")
        p = self.imp(new)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("installed", p.stdout)
        self.assertIn("not running", p.stdout)
        st = os.stat(self.target)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        with open(self.target) as f, open(new) as g:
            self.assertEqual(f.read(), g.read())
        self.assertEqual(os.listdir(os.path.dirname(self.target)),
                         ["outpost.yaml"])  # no temp file left
        p = self.imp(new)
        self.assertEqual(p.returncode, 0)
        self.assertIn("unchanged", p.stdout)

    def test_invalid_changes_nothing(self):
        good = self.write_config(f"state_dir: {self.tmp}/s\n",
                                 name="good.yaml")
        self.assertEqual(self.imp(good).returncode, 0)
        before = open(self.target).read()
        for bad in ("log:\n  level: loudest\nbogus: 1\n", "a: [\n",
                    "x: &a 1\n", "server:\n  key: nope\n"):
            p = self.imp("-", stdin=bad)
            self.assertEqual(p.returncode, EX_CONFIG, bad)
            self.assertRegex(p.stderr, r"<stdin>:\d+:\d+: ")
            self.assertIn("nothing was changed", p.stderr)
            self.assertEqual(open(self.target).read(), before)
        p = self.imp(os.path.join(self.tmp, "missing.yaml"))
        self.assertEqual(p.returncode, EX_NOINPUT)
        p = self.imp("-", stdin="#" * (1024 * 1024 + 1))
        self.assertEqual(p.returncode, EX_DATAERR)
        self.assertIn("larger than", p.stderr)
        self.assertEqual(open(self.target).read(), before)
        self.assertEqual(run(["config", "import"]).returncode, EX_USAGE)

    def test_world_writable_dir_refused(self):
        d = os.path.join(self.tmp, "ww")
        os.mkdir(d)
        os.chmod(d, 0o777)
        p = run(["-c", f"{d}/outpost.yaml", "config", "import", "-"],
                stdin="log:\n  level: debug\n")
        self.assertEqual(p.returncode, EX_CONFIG)
        self.assertIn("world-writable", p.stderr)
        self.assertFalse(os.path.exists(f"{d}/outpost.yaml"))

    def test_running_agent_reloads(self):
        base = f"state_dir: {self.tmp}/s\n{listen_free_port()}"
        self.assertEqual(self.imp("-", stdin=base).returncode, 0)
        agent = Agent(self.target)
        try:
            self.assertIsNone(agent.status()["server"])
            p = self.imp("-", stdin=base +
                         "server:\n  rendezvous: hbbs.example.org\n")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("running agent reloaded", p.stdout)
            self.assertEqual(agent.status()["server"],
                             "hbbs.example.org:21116")
            # A RustDesk string is picked up the same way.
            p = run(["-c", self.target, "config", "import-rustdesk",
                     "host=hbbs2.example.org,key=" + KEY])
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("running agent reloaded", p.stdout)
            self.assertEqual(agent.status()["server"],
                             "hbbs2.example.org:21116")
            self.assertIsNone(agent.proc.poll())
        finally:
            err = agent.stop()
        self.assertIn("applied", err)


class ImportRustDesk(TempDirCase):
    def setUp(self):
        super().setUp()
        self.target = self.write_config(
            "# my comment\n"
            f"state_dir: {self.tmp}/s\n"
            "identity:\n  id: helpdesk-01\n"
            "server:\n  relay: old-relay.example.org\n")

    def imp(self, s):
        return run(["-c", self.target, "config", "import-rustdesk", s])

    def dump(self):
        p = run(["-c", self.target, "config", "dump"])
        self.assertEqual(p.returncode, 0, p.stderr)
        import yaml
        return yaml.safe_load(p.stdout)

    def test_upstream_string_merges_and_keeps_other_keys(self):
        p = self.imp(UPSTREAM)
        self.assertEqual(p.returncode, 0, p.stderr)
        d = self.dump()
        self.assertEqual(d["server"]["rendezvous"], "1.1.1.1:21116")
        self.assertEqual(d["server"]["key"], KEY)
        # As in RustDesk, an empty relay in the string clears it.
        self.assertEqual(d["server"]["relay"], "")
        self.assertEqual(d["identity"]["id"], "helpdesk-01")
        self.assertEqual(d["state_dir"], f"{self.tmp}/s")
        self.assertEqual(stat.S_IMODE(os.stat(self.target).st_mode), 0o600)
        self.assertIn("comments were not", p.stdout)
        # Idempotent: the same string again changes nothing.
        p = self.imp(UPSTREAM)
        self.assertIn("unchanged", p.stdout)

    def test_every_accepted_form(self):
        obj = {"host": "hbbs.example.org:21116", "key": KEY,
               "api": "https://api.example.org",
               "relay": "hbbr.example.org"}
        forms = [
            rd_string(obj),                              # URL-safe, no pad
            rd_string(obj, urlsafe=False, pad=True),     # standard, padded
            "  " + rd_string(obj) + "\n",
            f"rustdesk-licensed-{rd_string(obj)}.exe",
            f"rustdesk-licensed-{rd_string(obj)} (1).exe",
            f"rustdesk--{rd_string(obj)}--extra.exe",
            f"rustdesk-host={obj['host']},key={KEY},api=x,"
            f"relay={obj['relay']},.exe",
            rd_string({**obj, "unknown": {"nested": [1, 2.5e3, None, True]}}),
        ]
        for s in forms:
            with self.subTest(s=s):
                p = self.imp(s)
                self.assertEqual(p.returncode, 0, p.stderr)
                d = self.dump()
                self.assertEqual(d["server"]["rendezvous"],
                                 "hbbs.example.org:21116")
                self.assertEqual(d["server"]["relay"],
                                 "hbbr.example.org:21117")
                self.assertEqual(d["server"]["key"], KEY)
        p = self.imp(rd_string(obj))
        self.assertIn("api", p.stderr)
        self.assertIn("not used", p.stderr)

    def test_signed_form_needs_rustdesks_key(self):
        # RustDesk also accepts signature||JSON signed by its licence key,
        # which only RustDesk has: the same form signed by another key is
        # refused.
        sk = nacl.signing.SigningKey.generate()
        signed = sk.sign(json.dumps({"host": "h.example.org"}).encode())
        p = self.imp(rd_string(None, raw=bytes(signed)))
        self.assertEqual(p.returncode, EX_DATAERR)

    def test_hostile_strings_change_nothing(self):
        before = open(self.target).read()
        cases = {
            "not base64": "not base64 !!",
            "empty": "",
            "not json": rd_string(None, raw=b"hello world"),
            "binary": rd_string(None, raw=bytes(range(256))),
            "array": rd_string([1, 2]),
            "wrong type": rd_string({"host": 5}),
            "null": rd_string({"host": None}),
            "duplicate": rd_string(None, raw=b'{"host":"a","host":"b"}'),
            "trailing": rd_string(None, raw=b'{"host":"a"} x'),
            "unterminated": rd_string(None, raw=b'{"host":"a'),
            "nul": rd_string(None, raw=b'{"host":"a\\u0000b"}'),
            "lone surrogate": rd_string(None, raw=b'{"host":"\\ud800"}'),
            "deep": rd_string(None, raw=b'{"host":"h","x":' + b"[" * 100 +
                              b"]" * 100 + b"}"),
            "no host": rd_string({"key": KEY}),
            "bad host": rd_string({"host": "bad host; rm -rf /"}),
            "bad port": rd_string({"host": "h.example.org:99999"}),
            "bad key": rd_string({"host": "h.example.org", "key": "c2hvcnQ="}),
            "control chars": rd_string({"host": "h\x1b[31m"}),
            "huge": "A" * 5000,
            "huge json": rd_string({"host": "h" * 4000}),
        }
        for name, s in cases.items():
            with self.subTest(name):
                p = self.imp(s)
                self.assertEqual(p.returncode, EX_DATAERR, p.stderr)
                self.assertNotIn("\x1b", p.stderr)
                self.assertEqual(open(self.target).read(), before)
        # Bad escapes and the like are named, with where.
        p = self.imp(rd_string({"host": 5}))
        self.assertIn("'host' is not a string", p.stderr)

    def test_invalid_existing_file_is_not_merged(self):
        with open(self.target, "a") as f:
            f.write("bogus: 1\n")
        before = open(self.target).read()
        p = self.imp(UPSTREAM)
        self.assertEqual(p.returncode, EX_CONFIG)
        self.assertIn("bogus", p.stderr)
        self.assertEqual(open(self.target).read(), before)

    def test_new_file(self):
        target = os.path.join(self.tmp, "new", "outpost.yaml")
        p = run(["-c", target, "config", "import-rustdesk", UPSTREAM])
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run(["-c", target, "config", "check"])
        self.assertEqual(p.returncode, 0, p.stderr)


class Enroll(TempDirCase):
    def test_one_line_of_json(self):
        cfg = self.write_config(f"state_dir: {self.tmp}/s\n"
                                f"{listen_free_port()}")
        p = run(["-c", cfg, "enroll"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.count("\n"), 1)
        d = json.loads(p.stdout)
        self.assertEqual(set(d), {"id", "hostname", "version",
                                  "registered"})
        self.assertEqual(d["id"], run(["-c", cfg, "id"]).stdout.strip())
        self.assertEqual(d["hostname"], os.uname().nodename)
        self.assertEqual(d["version"], run(["version"]).stdout.split()[1])
        self.assertIs(d["registered"], False)
        agent = Agent(cfg)
        try:
            d2 = json.loads(run(["-c", cfg, "enroll"]).stdout)
            self.assertEqual(d2["id"], d["id"])
            self.assertIs(d2["registered"],
                          agent.status().get("registered", False))
        finally:
            agent.stop()
        self.assertEqual(run(["enroll", "extra"]).returncode, EX_USAGE)


class Man(TempDirCase):
    def test_generated_from_key_table(self):
        p = run(["config", "man"])
        self.assertEqual(p.returncode, 0)
        page = p.stdout.replace("\\-", "-")
        self.assertTrue(page.startswith(".\\\" SPDX"))
        self.assertIn(".TH OUTPOST 8", page)
        schema = json.loads(run(["config", "schema"]).stdout)

        def keys(props, prefix=""):
            for k, v in props.items():
                if "properties" in v:
                    yield from keys(v["properties"], prefix + k + ".")
                else:
                    yield prefix + k
        for k in keys(schema["properties"]):
            self.assertIn(f".B {k}\n", page)
        for c in ("run", "id", "password", "config import",
                  "config import-rustdesk", "enroll", "reload", "status"):
            self.assertIn(f".B {c}\n", page)
        # roff renders it without warnings.
        path = os.path.join(self.tmp, "outpost.8")
        with open(path, "w") as f:
            f.write(page)
        if shutil.which("groff"):
            g = subprocess.run(["groff", "-man", "-ww", "-z", path],
                               capture_output=True, text=True)
            self.assertEqual(g.stderr, "")


if __name__ == "__main__":
    main()
